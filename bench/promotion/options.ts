/** Command-line flags of `npm run bench:promotion -- [flags]`. */
import { BenchUsageError } from './errors';

/** The engines this benchmark drives; `mysql` is the machine's MariaDB. */
export const BENCH_ENGINES = ['postgresql', 'mysql', 'redis'] as const;
export type BenchEngine = (typeof BENCH_ENGINES)[number];

export interface PromotionBenchOptions {
  engines: BenchEngine[];
  /** Promotions per engine. */
  rounds: number;
}

export const DEFAULT_OPTIONS: PromotionBenchOptions = { engines: [...BENCH_ENGINES], rounds: 5 };

/** More would only repeat the same figure for a long time on a shared machine. */
const MAX_ROUNDS = 100;

export const USAGE =
  'usage: npm run bench:promotion -- [--engines postgresql,mysql,redis] [--rounds N]\n' +
  `  --engines  comma-separated, any of ${BENCH_ENGINES.join(', ')} (mysql is MariaDB here); default all\n` +
  `  --rounds   promotions per engine, 1..${MAX_ROUNDS}; default ${DEFAULT_OPTIONS.rounds}`;

/** `undefined` when `--help` was asked for. */
export function parseOptions(argv: readonly string[]): PromotionBenchOptions | undefined {
  const options: PromotionBenchOptions = { ...DEFAULT_OPTIONS, engines: [...DEFAULT_OPTIONS.engines] };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--help' || argv[i] === '-h') return undefined;
    const equals = argv[i].indexOf('=');
    const flag = equals >= 0 ? argv[i].slice(0, equals) : argv[i];
    if (flag !== '--engines' && flag !== '--rounds') {
      throw new BenchUsageError(`unknown flag ${JSON.stringify(flag)}\n${USAGE}`);
    }
    if (seen.has(flag)) throw new BenchUsageError(`${flag} given twice; give it once\n${USAGE}`);
    seen.add(flag);
    const raw = equals >= 0 ? argv[i].slice(equals + 1) : argv[++i];
    if (raw === undefined || raw === '' || raw.startsWith('--')) {
      throw new BenchUsageError(`${flag} needs a value\n${USAGE}`);
    }
    if (flag === '--engines') options.engines = parseEngines(raw);
    else options.rounds = parseRounds(raw);
  }
  return options;
}

function parseEngines(raw: string): BenchEngine[] {
  const engines: BenchEngine[] = [];
  for (const name of raw.split(',').map((part) => part.trim())) {
    if (!(BENCH_ENGINES as readonly string[]).includes(name)) {
      const hint = name === 'mariadb' ? ' (MariaDB runs as engine "mysql")' : '';
      throw new BenchUsageError(
        `--engines: unknown engine ${JSON.stringify(name)}${hint}; choose from ${BENCH_ENGINES.join(', ')}`,
      );
    }
    if (engines.includes(name as BenchEngine)) {
      throw new BenchUsageError(`--engines: ${name} is listed twice; list each engine once`);
    }
    engines.push(name as BenchEngine);
  }
  return engines;
}

function parseRounds(raw: string): number {
  const rounds = Number(raw);
  if (!/^[0-9]+$/.test(raw) || rounds < 1 || rounds > MAX_ROUNDS) {
    throw new BenchUsageError(`--rounds needs a whole number from 1 to ${MAX_ROUNDS}, got ${JSON.stringify(raw)}`);
  }
  return rounds;
}

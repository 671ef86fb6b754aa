/** Command-line flags of `npm run bench:devserver -- [flags]`. */
import { BenchUsageError } from './errors';

export interface BenchOptions {
  /** Workflows measured per configuration. */
  workflows: number;
  /** Workflows run before measuring, per configuration (JIT, caches, connections). */
  warmup: number;
  /** Workflows in flight at once (client lanes). */
  concurrency: number;
  /** Devserver starts whose median is the startup time. */
  startups: number;
}

export const DEFAULT_OPTIONS: BenchOptions = { workflows: 2000, warmup: 400, concurrency: 200, startups: 5 };

const FLAGS: Record<string, keyof BenchOptions> = {
  '--workflows': 'workflows',
  '--warmup': 'warmup',
  '--concurrency': 'concurrency',
  '--startups': 'startups',
};

export const USAGE = `usage: npm run bench:devserver -- ${Object.keys(FLAGS)
  .map((flag) => `[${flag} N]`)
  .join(' ')}`;

export function parseOptions(argv: readonly string[]): BenchOptions {
  const options = { ...DEFAULT_OPTIONS };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? argv[i].split('=', 2) : [argv[i], undefined];
    const key = FLAGS[flag];
    if (!key) throw new BenchUsageError(`unknown flag ${JSON.stringify(flag)}; ${USAGE}`);
    const raw = inline ?? argv[++i];
    const value = Number(raw);
    const minimum = key === 'warmup' ? 0 : 1;
    if (raw === undefined || !Number.isInteger(value) || value < minimum) {
      throw new BenchUsageError(`${flag} needs a whole number ≥ ${minimum}, got ${JSON.stringify(raw ?? '')}`);
    }
    options[key] = value;
  }
  return options;
}

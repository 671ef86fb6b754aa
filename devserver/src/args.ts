/**
 * Command-line arguments, in both forms the SDK passes to an `existing-path` server:
 *   test-server form:  <port> [--enable-time-skipping]        (time skipping, locked at start)
 *   dev-server form:   server start-dev --port P --namespace N ... (real time)
 * Unknown flags are reported as warnings and otherwise ignored.
 */

export interface DevServerArgs {
  mode: 'test-server' | 'dev-server';
  port: number;
  ip: string;
  namespaces: string[];
  timeSkipping: boolean;
  /** Test-server form: time skipping starts unlocked (`--enable-time-skipping`). */
  startUnlocked: boolean;
  dbFilename?: string;
  searchAttributes: { name: string; type: string }[];
  dynamicConfig: Record<string, string>;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  logFormat: 'json' | 'pretty';
  /** Dev-server form: the Web UI and HTTP API port (default --port + 1000); absent with --headless. */
  uiPort?: number;
  headless: boolean;
  warnings: string[];
}

export class ArgsError extends Error {}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const SEARCH_ATTRIBUTE_TYPES = ['Text', 'Keyword', 'Int', 'Double', 'Bool', 'Datetime', 'KeywordList'];

function parsePort(value: string | undefined, flag: string): number {
  const port = Number(value);
  if (!value || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ArgsError(`${flag} must be a port number between 0 and 65535, got ${JSON.stringify(value ?? '')}`);
  }
  return port;
}

export function parseArgs(argv: readonly string[]): DevServerArgs {
  const args: DevServerArgs = {
    mode: 'dev-server',
    port: 7233,
    ip: '127.0.0.1',
    namespaces: [],
    timeSkipping: false,
    startUnlocked: false,
    searchAttributes: [],
    dynamicConfig: {},
    logLevel: 'warn',
    logFormat: 'pretty',
    headless: false,
    warnings: [],
  };

  if (argv.length > 0 && /^\d+$/.test(argv[0])) {
    args.mode = 'test-server';
    args.timeSkipping = true;
    args.port = parsePort(argv[0], 'port');
    args.namespaces.push('default');
    for (const extra of argv.slice(1)) {
      if (extra.toLowerCase() === '--enable-time-skipping') args.startUnlocked = true;
      else args.warnings.push(`ignoring unknown argument ${JSON.stringify(extra)}`);
    }
    return args;
  }

  let rest = [...argv];
  if (rest[0] === 'server' && rest[1] === 'start-dev') rest = rest.slice(2);
  else if (rest.length > 0 && !rest[0].startsWith('-')) {
    throw new ArgsError(
      `unknown command ${JSON.stringify(rest.join(' '))}; use "server start-dev [flags]" or "<port>"`,
    );
  }

  for (let i = 0; i < rest.length; i++) {
    const raw = rest[i];
    const [flag, inlineValue] =
      raw.includes('=') && raw.startsWith('--')
        ? [raw.slice(0, raw.indexOf('=')), raw.slice(raw.indexOf('=') + 1)]
        : [raw, undefined];
    const value = (): string => {
      if (inlineValue !== undefined) return inlineValue;
      const next = rest[i + 1];
      if (next === undefined) throw new ArgsError(`${flag} needs a value`);
      i++;
      return next;
    };
    switch (flag) {
      case '--port':
      case '-p':
        args.port = parsePort(value(), flag);
        break;
      case '--ip':
        args.ip = value();
        break;
      case '--namespace':
      case '-n':
        args.namespaces.push(value());
        break;
      case '--db-filename':
      case '-f':
        args.dbFilename = value();
        break;
      case '--search-attribute': {
        const spec = value();
        const [name, type] = spec.split('=');
        if (!name || !type || !SEARCH_ATTRIBUTE_TYPES.includes(type)) {
          throw new ArgsError(
            `--search-attribute expects Name=Type with Type one of ${SEARCH_ATTRIBUTE_TYPES.join(', ')}, got ${JSON.stringify(spec)}`,
          );
        }
        args.searchAttributes.push({ name, type });
        break;
      }
      case '--dynamic-config-value': {
        const spec = value();
        const eq = spec.indexOf('=');
        if (eq <= 0) throw new ArgsError(`--dynamic-config-value expects KEY=VALUE, got ${JSON.stringify(spec)}`);
        args.dynamicConfig[spec.slice(0, eq)] = spec.slice(eq + 1);
        break;
      }
      case '--log-level': {
        const level = value().toLowerCase();
        if (!(LOG_LEVELS as readonly string[]).includes(level)) {
          args.warnings.push(`unknown --log-level ${JSON.stringify(level)}; using warn`);
        } else {
          args.logLevel = level as DevServerArgs['logLevel'];
        }
        break;
      }
      case '--log-format': {
        const format = value().toLowerCase();
        args.logFormat = format === 'json' ? 'json' : 'pretty';
        break;
      }
      case '--ui-port':
        args.uiPort = parsePort(value(), flag);
        break;
      case '--headless':
        args.headless = true;
        break;
      default:
        if (flag.startsWith('-')) {
          // A flag we do not know may carry a value; skip it too unless it looks like another flag.
          if (inlineValue === undefined && rest[i + 1] !== undefined && !rest[i + 1].startsWith('-')) i++;
          args.warnings.push(`ignoring unknown flag ${JSON.stringify(flag)}`);
        } else {
          args.warnings.push(`ignoring unexpected argument ${JSON.stringify(raw)}`);
        }
    }
  }
  if (args.namespaces.length === 0) args.namespaces.push('default');
  if (args.uiPort === undefined && !args.headless) {
    // As the Temporal CLI: the UI listens 1000 above the gRPC port (any free port when that is 0).
    args.uiPort = args.port === 0 ? 0 : args.port + 1000;
    if (args.uiPort > 65535) {
      throw new ArgsError(`the default --ui-port (--port + 1000 = ${args.uiPort}) is not a port; give --ui-port`);
    }
  }
  return args;
}

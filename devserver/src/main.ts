/** Entry point of `devserver/bin/temporal-devserver`. */
import { ArgsError, type DevServerArgs, parseArgs } from './args';
import { defaultSiteDir } from './http/ui-server';
import { DevServer } from './server';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

function makeLogger(args: Pick<DevServerArgs, 'logLevel' | 'logFormat'>) {
  return (level: Level, message: string, fields: Record<string, unknown> = {}) => {
    if (LEVELS[level] < LEVELS[args.logLevel]) return;
    const line =
      args.logFormat === 'json'
        ? JSON.stringify({ level, ts: new Date().toISOString(), msg: message, ...fields })
        : `${new Date().toISOString()} ${level.toUpperCase()} ${message}${Object.keys(fields).length ? ' ' + JSON.stringify(fields) : ''}`;
    process.stderr.write(line + '\n');
  };
}

export async function main(argv: string[]): Promise<void> {
  let args: DevServerArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (err instanceof ArgsError) {
      process.stderr.write(`temporal-devserver: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = makeLogger(args);
  for (const warning of args.warnings) process.stderr.write(`temporal-devserver: warning: ${warning}\n`);

  const server = new DevServer({
    port: args.port,
    ip: args.ip,
    namespaces: args.namespaces,
    timeSkipping: args.timeSkipping,
    startUnlocked: args.startUnlocked,
    searchAttributes: args.searchAttributes,
    dbFilename: args.dbFilename,
    log,
    // Like the CLI's dev server: the UI and HTTP API are open to whoever reaches the address.
    ...(args.headless || args.uiPort === undefined
      ? {}
      : {
          ui: {
            host: args.ip,
            port: args.uiPort,
            siteDir: defaultSiteDir(),
            settings: () => ({ DefaultNamespace: args.namespaces[0] }),
          },
        }),
  });
  const port = await server.start();
  log('info', 'temporal devserver listening', {
    address: `${args.ip}:${port}`,
    mode: args.mode,
    namespaces: args.namespaces,
  });
  if (server.uiPort !== undefined) {
    // Printed whatever the log level, as the CLI prints it: the address a person opens.
    process.stderr.write(`temporal-devserver: Web UI and HTTP API on http://${hostForUrl(args.ip)}:${server.uiPort}\n`);
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('info', `received ${signal}, shutting down`);
    server.stop().then(
      () => process.exit(0),
      (err) => {
        log('error', 'shutdown failed', { error: String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (args.mode === 'test-server') exitWithParent(() => shutdown('the end of the process that started it'));
}

function hostForUrl(ip: string): string {
  return ip.includes(':') ? `[${ip}]` : ip;
}

const PARENT_CHECK_MS = 1_000;

/**
 * In test-server form the server belongs to the test process that started it (the SDK's
 * TestWorkflowEnvironment). A test runner killed outright never stops it, and an orphaned server
 * would hold its port and memory forever; once the parent is gone (we were re-parented), stop.
 */
function exitWithParent(stop: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) stop();
  }, PARENT_CHECK_MS);
  timer.unref();
}

/**
 * The product's one logger (pino): JSON lines, or readable colored lines when stdout is a terminal.
 * Every field that may carry a secret (passwords, tokens, keys, the Authorization header) is redacted
 * wherever it sits in a log record, so no component can leak one by logging an object.
 */
import type { LogLevel as TemporalLogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

/** Keys whose values never reach a log, at any depth up to `REDACT_DEPTH`. */
export const SECRET_KEYS = [
  'password',
  'adminPassword',
  'replicationPassword',
  'ownerPassword',
  'sourcePassword',
  'pass',
  'secret',
  'token',
  'apiKey',
  'codecKey',
  'authorization',
  'cookie',
  'credentials',
];
const REDACT_DEPTH = 5;

/** `password`, `*.password`, `*.*.password`, … for every secret key (pino's wildcards cover one level each). */
export function redactPaths(keys: readonly string[] = SECRET_KEYS, depth = REDACT_DEPTH): string[] {
  const paths: string[] = [];
  for (let level = 0; level <= depth; level++) {
    const prefix = '*.'.repeat(level);
    for (const key of keys) paths.push(`${prefix}${key}`);
  }
  return paths;
}

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Readable output instead of JSON; default: when stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go; default stdout. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const usePretty = options.pretty ?? process.stdout.isTTY === true;
  const base = {
    level: options.level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths(), censor: '[redacted]' },
  };
  if (usePretty) {
    // Synchronous so that the last lines before an exit are not lost; a terminal keeps up.
    const stream = pretty({
      colorize: true,
      sync: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,component',
      // One line per event, prefixed with the part of the product that wrote it.
      singleLine: true,
      messageFormat: '{if component}[{component}] {end}{msg}',
      destination: options.destination ?? 1,
    });
    return pino(base, stream);
  }
  return pino(base, options.destination ?? pino.destination({ dest: 1, sync: true }));
}

/**
 * Adapts a pino logger to the `(message, fields)` callbacks of the devserver, the VM provider and
 * the activities.
 */
export function fieldLogger(logger: Logger, level: 'debug' | 'info' | 'warn' = 'info') {
  return (message: string, fields: object = {}) => logger[level](fields, message);
}

const TEMPORAL_LEVELS: Record<TemporalLogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** The Temporal SDK's logger interface over pino (worker, workflow and activity log lines). */
export function temporalLogger(logger: Logger): TemporalLogger {
  const log = (level: TemporalLogLevel, message: string, meta?: LogMetadata) =>
    logger[TEMPORAL_LEVELS[level]](meta ?? {}, message);
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

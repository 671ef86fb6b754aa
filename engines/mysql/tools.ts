/**
 * Running the server's one-shot tools (mariadb-install-db, mariadb-backup, mbstream, mariadb-dump,
 * mariadb, mariadb-binlog). Passwords reach them only through the MYSQL_PWD environment variable, never
 * the command line; their output is stripped of every secret before it appears in an error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { childEnvironment } from '../child-environment';
import { ToolFailedError } from './errors';

/** How much of a tool's stderr is kept for error messages. */
const STDERR_TAIL_BYTES = 4096;

/** Directories searched for the server binaries besides PATH (mariadbd lives in sbin on Debian). */
export const DEFAULT_BINARY_DIRS = [
  '/usr/sbin',
  '/usr/bin',
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/local/mysql/bin',
];

/** Absolute path of `name`, or undefined when it is nowhere to be found. */
export function findBinary(name: string, extraDirs: readonly string[] = DEFAULT_BINARY_DIRS): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

/** Replaces every secret in `text` with `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length > 0) result = result.split(secret).join('***');
  }
  return result;
}

export interface ToolSpec {
  command: string;
  args: string[];
  /** Extra environment (e.g. MYSQL_PWD), added to a minimal one (nothing of the orchestrator's own). */
  env?: Record<string, string>;
  stdin?: Readable | string;
  /** Strings that must never appear in an error message. */
  secrets?: readonly string[];
  /** What the tool was doing, for error messages ("backup of orders1"). */
  purpose: string;
  /** Sees all of stderr, for tools that report results there (mariadb-backup's binlog position). */
  onStderr?: (chunk: string) => void;
}

export interface RunningTool {
  child: ChildProcess;
  /** The tool's stdout; consume it (or it blocks). */
  stdout: Readable;
  /** Resolves when the tool exits with 0; rejects with ToolFailedError otherwise. */
  done: Promise<void>;
  /** Ends the tool early (its failure is then expected and not reported). */
  kill(): void;
}

/** Starts a tool whose stdout the caller consumes as a stream. */
export function startTool(spec: ToolSpec): RunningTool {
  const secrets = spec.secrets ?? [];
  const child = spawn(spec.command, spec.args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: childEnvironment(spec.env),
  });
  let stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
    spec.onStderr?.(chunk);
  });
  if (typeof spec.stdin === 'string') {
    child.stdin.end(spec.stdin);
  } else if (spec.stdin !== undefined) {
    const input = spec.stdin;
    input.on('error', (error) => child.stdin.destroy(error));
    input.pipe(child.stdin);
  } else {
    child.stdin.end();
  }
  // A tool that exits before reading all its input makes stdin fail with EPIPE; its exit code tells.
  child.stdin.on('error', () => undefined);
  let killed = false;
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (error) =>
      reject(new ToolFailedError(`cannot run ${spec.command} for ${spec.purpose}: ${error.message}`, { cause: error })),
    );
    child.once('close', (code, signal) => {
      if (code === 0 || killed) return resolve();
      const detail = redact(stderrTail.trim(), secrets) || 'no output';
      reject(
        new ToolFailedError(
          `${path.basename(spec.command)} failed (${signal ?? `exit code ${code}`}) during ${spec.purpose}: ${detail}`,
        ),
      );
    });
  });
  return {
    child,
    stdout: child.stdout,
    done,
    kill: () => {
      killed = true;
      child.kill('SIGKILL');
    },
  };
}

/** Runs a tool to completion and returns its stdout. */
export async function runTool(spec: ToolSpec): Promise<string> {
  const tool = startTool(spec);
  let stdout = '';
  tool.stdout.setEncoding('utf8');
  tool.stdout.on('data', (chunk: string) => {
    stdout += chunk;
  });
  await tool.done;
  return stdout;
}

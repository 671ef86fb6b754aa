/**
 * Runs PostgreSQL's command-line tools. Passwords travel in the environment (PGPASSWORD), never
 * on the command line, and stderr is kept (bounded) for error messages.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { childEnvironment } from '../child-environment';
import { InfraError } from '../errors';
import { serverIdentity } from './os-user';

export interface ToolRun {
  /** Absolute path of the binary. */
  command: string;
  args: string[];
  /** Added to a minimal environment (PATH, locale); put passwords here, never in args. */
  env?: Record<string, string>;
  /** Run as the server's OS user when we are root (tools that write into a data directory). */
  asServerUser?: boolean;
  /** Streamed into the tool's stdin. */
  stdin?: Readable;
  /** Hand stdout to the caller as a stream (see startTool) instead of collecting it. */
  streamStdout?: boolean;
  cwd?: string;
  /** Kills the tool after this long. */
  timeoutMs?: number;
}

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const KEPT_OUTPUT_BYTES = 64 * 1024;

/**
 * A PostgreSQL tool exited with an error. Retryable: most such failures are a lost or refused
 * connection, and every operation that runs a tool is idempotent.
 */
export class ToolFailedError extends InfraError {
  readonly retryable = true;
  constructor(
    readonly tool: string,
    readonly result: ToolResult,
  ) {
    const why = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code}`;
    const detail = result.stderr.trim().split('\n').slice(-8).join('\n');
    super(`${tool} ${why}${detail ? `: ${detail}` : ''}`);
  }
}

export interface StartedTool {
  /** The tool's stdout when `streamStdout` was set (read it, or the tool blocks). */
  stdout: Readable;
  /** Resolves when the tool exits. */
  done: Promise<ToolResult>;
  /** Ends the tool (e.g. a producer whose consumer has failed, which would otherwise block on a full pipe). */
  kill(): void;
}

export function runTool(run: ToolRun): Promise<ToolResult> {
  return startTool({ ...run, streamStdout: false }).done;
}

export function startTool(run: ToolRun): StartedTool {
  const identity = run.asServerUser ? serverIdentity() : undefined;
  const env = childEnvironment({
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    HOME: identity?.home ?? process.env.HOME ?? '/',
    ...run.env,
  });
  const child = spawn(run.command, run.args, {
    env,
    cwd: run.cwd ?? identity?.home ?? undefined,
    uid: identity?.uid,
    gid: identity?.gid,
    stdio: [run.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const { stdout: childStdout, stderr: childStderr } = child;
  // Both are pipes (stdio above); the check satisfies the types.
  if (!childStdout || !childStderr) throw new Error(`spawning ${run.command} gave no output pipes`);
  const done = new Promise<ToolResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const keep = (kept: string, chunk: Buffer) => (kept + chunk.toString('utf8')).slice(-KEPT_OUTPUT_BYTES);
    childStderr.on('data', (chunk: Buffer) => (stderr = keep(stderr, chunk)));
    if (!run.streamStdout) childStdout.on('data', (chunk: Buffer) => (stdout = keep(stdout, chunk)));
    if (run.stdin && child.stdin) {
      run.stdin.pipe(child.stdin);
      // The tool may exit before reading everything (e.g. on an error); that is reported by its exit code.
      child.stdin.on('error', () => undefined);
      run.stdin.on('error', (err) => {
        child.kill('SIGTERM');
        reject(err);
      });
    }
    const timer = run.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), run.timeoutMs) : undefined;
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { stdout: childStdout, done, kill: () => child.kill('SIGTERM') };
}

/** Runs the tool and throws ToolFailedError unless it exits with 0. */
export async function runToolChecked(run: ToolRun): Promise<ToolResult> {
  const result = await runTool(run);
  if (result.code !== 0) throw new ToolFailedError(run.command.split('/').pop() ?? run.command, result);
  return result;
}

/**
 * One bash session that blocks are pasted into, like a user's terminal: variables and functions of
 * one block are there for the next. Every command that fails (pipes included) is reported, even in
 * the middle of a block.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

const DONE = '__RUNTIME_SHELL_STEP_DONE__';
const FAILED = '__RUNTIME_SHELL_COMMAND_FAILED__';

export interface StepOutput {
  stdout: string;
  stderr: string;
  /** The commands that exited non-zero (outside `if`/`until` conditions), with their status. */
  failures: string[];
}

export class ShellSession {
  private readonly bash: ChildProcessWithoutNullStreams;
  private stdout = '';
  private stderr = '';
  private exited = false;

  constructor(options: { cwd: string; env: NodeJS.ProcessEnv }) {
    this.bash = spawn('bash', ['--noprofile', '--norc'], { cwd: options.cwd, env: options.env, detached: true });
    this.bash.stdout.on('data', (chunk) => (this.stdout += String(chunk)));
    this.bash.stderr.on('data', (chunk) => (this.stderr += String(chunk)));
    this.bash.once('exit', () => (this.exited = true));
    // -E: functions inherit the trap; pipefail: a failing curl in `curl | jq` counts.
    this.bash.stdin.write(`set -E -o pipefail\ntrap 'echo "${FAILED} $? $BASH_COMMAND" >&2' ERR\n`);
  }

  /** Pastes `script` and waits until it has run (or `timeoutMs` passes: then the session is killed). */
  async run(script: string, timeoutMs: number): Promise<StepOutput> {
    this.stdout = '';
    this.stderr = '';
    this.bash.stdin.write(`${script}\nprintf '\\n${DONE}\\n'; printf '\\n${DONE}\\n' >&2\n`);
    const deadline = Date.now() + timeoutMs;
    while (!(this.stdout.includes(DONE) && this.stderr.includes(DONE))) {
      if (this.exited) throw new Error(`the shell exited during the step\n${this.transcript()}`);
      if (Date.now() > deadline) {
        this.kill();
        throw new Error(`the step did not finish within ${timeoutMs} ms\n${this.transcript()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const stdout = this.stdout.slice(0, this.stdout.indexOf(DONE)).trimEnd();
    const stderrRaw = this.stderr.slice(0, this.stderr.indexOf(DONE));
    const failures = stderrRaw
      .split('\n')
      .filter((line) => line.startsWith(FAILED))
      .map((line) => line.slice(FAILED.length + 1));
    const stderr = stderrRaw
      .split('\n')
      .filter((line) => !line.startsWith(FAILED))
      .join('\n')
      .trimEnd();
    return { stdout, stderr, failures };
  }

  /** Kills the shell and whatever it runs (its process group). */
  kill(): void {
    if (this.exited || this.bash.pid === undefined) return;
    try {
      process.kill(-this.bash.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  private transcript(): string {
    return `--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }
}

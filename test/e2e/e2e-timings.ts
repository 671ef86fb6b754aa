/**
 * Wall times of the operations a test file ran, printed as a table when the file ends (the figures
 * go into the project's closing notes), and polling helpers that wait for an outcome rather than
 * for a length of time.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export class Timings {
  private readonly rows: { operation: string; ms: number }[] = [];

  constructor(private readonly title: string) {}

  record(operation: string, ms: number): void {
    this.rows.push({ operation, ms });
  }

  table(): string {
    const width = Math.max(9, ...this.rows.map((r) => r.operation.length));
    const lines = this.rows.map((r) => `${r.operation.padEnd(width)}  ${(r.ms / 1000).toFixed(1).padStart(7)} s`);
    return [this.title, `${'operation'.padEnd(width)}  ${'wall'.padStart(9)}`, ...lines].join('\n');
  }
}

/** How long `eventually` keeps trying: a guard against a hang, not a measured expectation. */
const EVENTUALLY_LIMIT_MS = 120_000;

/**
 * Retries `check` (which throws or returns false while the condition does not hold yet, e.g. a
 * replica still catching up) until it passes; fails with its last error after a generous limit.
 */
export async function eventually<T>(what: string, check: () => Promise<T | false>): Promise<T> {
  const deadline = Date.now() + EVENTUALLY_LIMIT_MS;
  let last: unknown;
  for (;;) {
    try {
      const result = await check();
      if (result !== false) return result;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} did not happen${last ? `: ${(last as Error).message ?? String(last)}` : ''}`);
    }
    await sleep(200);
  }
}

/**
 * A client that writes continuously through the cluster endpoint, one write in flight at a time,
 * and records when each answer arrived. A failed write may or may not have been applied, so its id
 * is never reused and it does not count as acknowledged; after a failure the client reconnects
 * through the endpoint (which by then may lead to another node).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Address, AppClient, EngineKit } from '../../test/e2e/e2e-engine-kit';
import { WritesNotResumedError } from './errors';
import type { WriteEvent } from './unavailability';

export interface WriterSettings {
  /** Pause after a failure before reconnecting: bounds the measurement's resolution, spares a moving cluster. */
  retryPauseMs: number;
  /** A write (or connect) without an answer this long counts as failed and its connection is dropped. */
  writeTimeoutMs: number;
  /** Guard for `acknowledgedAfter`: how long the cluster may take writes again before the benchmark gives up. */
  resumeLimitMs: number;
}

export const DEFAULT_WRITER_SETTINGS: WriterSettings = {
  retryPauseMs: 10,
  writeTimeoutMs: 10_000,
  resumeLimitMs: 180_000,
};

class WriteTimeoutError extends Error {
  override name = 'WriteTimeoutError';
}

export const writtenValue = (id: number) => `promotion bench ${id}`;

export class TimedWriter {
  readonly events: WriteEvent[] = [];
  readonly acknowledgedIds: number[] = [];
  lastError: string | undefined;
  private nextId = 1;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly waiters: { after: number; count: number; resolve: () => void }[] = [];

  constructor(
    private readonly kit: EngineKit,
    private readonly endpoint: Address,
    private readonly settings: WriterSettings = DEFAULT_WRITER_SETTINGS,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  /** Resolves once `count` writes were acknowledged after `after` (epoch ms). */
  async acknowledgedAfter(after: number, count: number): Promise<void> {
    if (this.countAfter(after) >= count) return;
    let timer: NodeJS.Timeout | undefined;
    const waiter = { after, count, resolve: () => undefined as void };
    try {
      await new Promise<void>((resolve, reject) => {
        waiter.resolve = resolve;
        this.waiters.push(waiter);
        timer = setTimeout(
          () =>
            reject(
              new WritesNotResumedError(
                `the cluster acknowledged fewer than ${count} writes within ${this.settings.resumeLimitMs} ms; ` +
                  `last write error: ${this.lastError ?? 'none'}`,
              ),
            ),
          this.settings.resumeLimitMs,
        );
      });
    } finally {
      clearTimeout(timer);
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
    }
  }

  /** When the `count`-th write acknowledged after `after` was (epoch ms). */
  ackTimeAfter(after: number, count: number): number {
    let seen = 0;
    for (const event of this.events) {
      if (event.ok && event.at > after && ++seen === count) return event.at;
    }
    throw new WritesNotResumedError(`only ${seen} writes were acknowledged after ${new Date(after).toISOString()}`);
  }

  private countAfter(after: number): number {
    let count = 0;
    for (let i = this.events.length - 1; i >= 0 && this.events[i].at > after; i--) if (this.events[i].ok) count++;
    return count;
  }

  private async run(): Promise<void> {
    let client: AppClient | undefined;
    while (!this.stopping) {
      const id = this.nextId++;
      try {
        client ??= await this.connect();
        await this.withinTimeout(client.insert(id, writtenValue(id)));
        this.events.push({ at: Date.now(), ok: true });
        this.acknowledgedIds.push(id);
        this.wake();
      } catch (err) {
        this.lastError = (err as Error).message;
        this.events.push({ at: Date.now(), ok: false, error: this.lastError });
        if (client) await this.close(client);
        client = undefined;
        await sleep(this.settings.retryPauseMs);
      }
    }
    if (client) await this.close(client);
  }

  /** Connects within the write timeout; a connection that comes up after it is closed, not leaked. */
  private async connect(): Promise<AppClient> {
    const pending = this.kit.connect(this.endpoint);
    try {
      return await this.withinTimeout(pending);
    } catch (err) {
      pending.then((late) => this.close(late)).catch(() => undefined);
      throw err;
    }
  }

  /** A close that cannot hang the writer (a connection to a server that stopped answering). */
  private close(client: AppClient): Promise<void> {
    return Promise.race([client.close().catch(() => undefined), sleep(1_000)]);
  }

  private async withinTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new WriteTimeoutError(`no answer within ${this.settings.writeTimeoutMs} ms`)),
        this.settings.writeTimeoutMs,
      );
    });
    try {
      return await Promise.race([work, limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) {
      if (this.countAfter(waiter.after) >= waiter.count) waiter.resolve();
    }
  }
}

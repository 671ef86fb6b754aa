/**
 * A client that keeps writing through the cluster endpoint (during a promotion) and records which
 * writes the database acknowledged. A write that failed may or may not have been applied, so its id
 * is never reused and it is not counted as acknowledged; the next write reconnects through the
 * endpoint, which by then may lead to another node.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Address, AppClient, EngineKit } from './e2e-engine-kit';

/** Pause after a failed write, so a fenced or moving cluster is not hammered with connections. */
const RETRY_PAUSE_MS = 50;
/** A guard against a cluster that never takes writes again, not an expectation of how soon it does. */
const ACKNOWLEDGED_LIMIT_MS = 180_000;

export class Writer {
  readonly acknowledged: number[] = [];
  failed = 0;
  lastError: string | undefined;
  /** The longest time between two consecutive acknowledged writes: the write outage clients saw. */
  longestGapMs = 0;
  private lastAcknowledgedAt: number | undefined;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly waiters: { count: number; resolve: () => void }[] = [];

  constructor(
    private readonly kit: EngineKit,
    private readonly endpoint: Address,
    private nextId: number,
    private readonly label = 'written during promote',
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** Resolves once `more` further writes were acknowledged (proof the cluster takes writes again). */
  acknowledgedMore(more: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = {
        count: this.acknowledged.length + more,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`the writer got no ${more} more acknowledged writes; last error: ${this.lastError}`));
      }, ACKNOWLEDGED_LIMIT_MS);
      this.waiters.push(waiter);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    let client: AppClient | undefined;
    while (!this.stopping) {
      const id = this.nextId++;
      try {
        client ??= await this.kit.connect(this.endpoint);
        await client.insert(id, `${this.label} ${id}`);
        this.acknowledged.push(id);
        const now = Date.now();
        if (this.lastAcknowledgedAt !== undefined)
          this.longestGapMs = Math.max(this.longestGapMs, now - this.lastAcknowledgedAt);
        this.lastAcknowledgedAt = now;
        this.wake();
      } catch (err) {
        this.failed++;
        this.lastError = (err as Error).message;
        await client?.close();
        client = undefined;
        await sleep(RETRY_PAUSE_MS);
      }
    }
    await client?.close();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) {
      if (this.acknowledged.length < waiter.count) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}

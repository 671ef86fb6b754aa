/**
 * The server's clock and timer queue, with the time-skipping semantics of Temporal's test server.
 *
 * Time normally follows the wall clock. With time skipping enabled, whenever nobody holds a lock
 * (no workflow task outstanding, no activity running, no external TestService lock), the clock
 * jumps straight to the next due timer, so a 30-day sleep completes at once.
 */
import { performance } from 'node:perf_hooks';

export interface TimerHandle {
  cancel(): void;
}

/** Releases a lock; calling it more than once has no further effect. */
export type Release = () => void;

interface Timer {
  at: number;
  seq: number;
  label: string;
  fire: () => void;
  cancelled: boolean;
}

export class Clock {
  private offsetMs: number;
  private readonly heap: Timer[] = [];
  private seq = 0;
  private locks = 0;
  private externalLocks: number;
  private armed: NodeJS.Timeout | undefined;
  private armedAt = Infinity;
  private pumping = false;
  private pumpQueued = false;
  private stopped = false;

  constructor(
    readonly timeSkipping: boolean,
    options: { startMs?: number; onError?: (err: unknown, label: string) => void } = {},
  ) {
    const start = options.startMs ?? Date.now();
    this.offsetMs = start - performance.now();
    // The test server starts with time skipping locked; clients unlock it while they wait.
    this.externalLocks = timeSkipping ? 1 : 0;
    this.onError = options.onError ?? ((err, label) => console.error(`timer ${label} failed`, err));
  }

  private readonly onError: (err: unknown, label: string) => void;

  now(): number {
    return Math.floor(this.offsetMs + performance.now());
  }

  /** Runs `fire` once the clock reaches `atMs`. */
  scheduleAt(atMs: number, label: string, fire: () => void): TimerHandle {
    const timer: Timer = { at: atMs, seq: this.seq++, label, fire, cancelled: false };
    this.push(timer);
    this.requestPump();
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  scheduleAfter(delayMs: number, label: string, fire: () => void): TimerHandle {
    return this.scheduleAt(this.now() + Math.max(0, delayMs), label, fire);
  }

  /** Holds time still (no skipping) until the returned function is called. */
  lock(): Release {
    this.locks++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.locks--;
      if (this.locks === 0) this.requestPump();
    };
  }

  lockExternally(): void {
    this.externalLocks++;
  }

  /**
   * Clients unlock while they await a result and lock again afterwards. Several clients awaiting at
   * once unlock more often than the server locked; the count then goes below zero and comes back as
   * each client locks again (Temporal's test server rejects that case, we allow it).
   */
  unlockExternally(): void {
    this.externalLocks--;
    this.requestPump();
  }

  get skippingAllowed(): boolean {
    return this.timeSkipping && this.locks === 0 && this.externalLocks <= 0;
  }

  stop(): void {
    this.stopped = true;
    if (this.armed) clearTimeout(this.armed);
  }

  private requestPump(): void {
    if (this.pumpQueued || this.stopped) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.pumping || this.stopped) return;
    this.pumping = true;
    try {
      for (;;) {
        const next = this.peekLive();
        if (!next) break;
        const now = this.now();
        if (next.at <= now) {
          this.pop();
          try {
            next.fire();
          } catch (err) {
            this.onError(err, next.label);
          }
          continue;
        }
        if (this.skippingAllowed) {
          this.offsetMs += next.at - now;
          continue;
        }
        this.arm(next.at - now);
        break;
      }
    } finally {
      this.pumping = false;
    }
  }

  private arm(delayMs: number): void {
    const at = performance.now() + delayMs;
    if (this.armed && this.armedAt <= at) return;
    if (this.armed) clearTimeout(this.armed);
    this.armedAt = at;
    // Timers beyond setTimeout's range are re-armed when the shorter wait ends.
    this.armed = setTimeout(
      () => {
        this.armed = undefined;
        this.armedAt = Infinity;
        this.pump();
      },
      Math.min(Math.max(1, delayMs), 2 ** 31 - 1),
    );
    this.armed.unref();
  }

  private peekLive(): Timer | undefined {
    while (this.heap.length > 0 && this.heap[0].cancelled) this.pop();
    return this.heap[0];
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private pop(): Timer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < heap.length && before(heap[l], heap[smallest])) smallest = l;
        if (r < heap.length && before(heap[r], heap[smallest])) smallest = r;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
        i = smallest;
      }
    }
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * A client writing continuously to one node, for the tests that fence that node under its writes:
 * it reconnects after every failure, remembers each acknowledged write, and counts the writes that
 * began after `fenced()` and were acknowledged all the same (there must be none).
 */
export interface FenceWriter {
  /** Ids of acknowledged writes, in order. */
  readonly acknowledged: number[];
  /** Resolves once `count` writes have been acknowledged. */
  waitFor(count: number): Promise<void>;
  /** Marks the moment the fence returned. */
  fenced(): void;
  /** Stops writing; resolves with the writes begun after the fence and acknowledged anyway. */
  stop(): Promise<number>;
}

export function startFenceWriter<C>(client: {
  open(): Promise<C>;
  write(connection: C, id: number): Promise<unknown>;
  close(connection: C): void | Promise<void>;
}): FenceWriter {
  const acknowledged: number[] = [];
  let fencedAt = Number.POSITIVE_INFINITY;
  let afterFence = 0;
  let running = true;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const loop = (async () => {
    let next = 1;
    let connection: C | undefined;
    while (running) {
      try {
        connection ??= await client.open();
        const id = next++;
        const startedAt = Date.now();
        await client.write(connection, id);
        acknowledged.push(id);
        if (startedAt > fencedAt) afterFence++;
      } catch {
        if (connection !== undefined) await Promise.resolve(client.close(connection)).catch(() => undefined);
        connection = undefined;
        await sleep(10);
      }
    }
    if (connection !== undefined) await Promise.resolve(client.close(connection)).catch(() => undefined);
  })();
  return {
    acknowledged,
    async waitFor(count) {
      while (acknowledged.length < count) await sleep(10);
    },
    fenced() {
      fencedAt = Date.now();
    },
    async stop() {
      running = false;
      await loop;
      return afterFence;
    },
  };
}

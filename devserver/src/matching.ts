/**
 * Task queues: a backlog of tasks and a line of long-polling workers. A task is handed to the first
 * waiting poller; if nobody waits it stays in the backlog. A task may turn out stale when it is
 * handed out (its workflow moved on); `start` then returns undefined and the next task is tried.
 */

export interface QueuedTask<R> {
  /** Starts the task for this poller and returns the poll response, or undefined when stale. */
  start(poll: PollContext): R | undefined;
}

export interface PollContext {
  identity: string;
  /** The request as received, for handlers that need more of it. */
  request: Record<string, unknown>;
}

interface Waiter<R> {
  poll: PollContext;
  resolve(response: R | undefined): void;
  done: boolean;
}

export interface PollerInfo {
  identity: string;
  lastAccessTime: number;
}

export type TaskQueueKind = 'workflow' | 'activity';

export class TaskQueue<R> {
  private backlog: QueuedTask<R>[] = [];
  private waiters: Waiter<R>[] = [];
  readonly pollers = new Map<string, PollerInfo>();

  constructor(
    readonly name: string,
    readonly kind: TaskQueueKind,
    private readonly now: () => number,
  ) {}

  get backlogSize(): number {
    return this.backlog.length;
  }

  add(task: QueuedTask<R>): void {
    while (this.waiters.length > 0) {
      const waiter = this.waiters.shift()!;
      if (waiter.done) continue;
      const response = task.start(waiter.poll);
      if (response === undefined) {
        // Stale: the waiter keeps waiting for the next task.
        this.waiters.unshift(waiter);
        return;
      }
      waiter.done = true;
      waiter.resolve(response);
      return;
    }
    this.backlog.push(task);
  }

  /**
   * Waits up to `timeoutMs` for a task. `onCancel` registers a hook run when the caller goes away,
   * so that no task is handed to a poller that can no longer receive it.
   */
  poll(poll: PollContext, timeoutMs: number, onCancel: (hook: () => void) => void): Promise<R | undefined> {
    this.pollers.set(poll.identity, { identity: poll.identity, lastAccessTime: this.now() });
    while (this.backlog.length > 0) {
      const task = this.backlog.shift()!;
      const response = task.start(poll);
      if (response !== undefined) return Promise.resolve(response);
    }
    return new Promise((resolve) => {
      const waiter: Waiter<R> = {
        poll,
        done: false,
        resolve: (response) => {
          clearTimeout(timer);
          resolve(response);
        },
      };
      const finish = () => {
        if (waiter.done) return;
        waiter.done = true;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(undefined);
      };
      const timer = setTimeout(finish, timeoutMs);
      onCancel(finish);
      this.waiters.push(waiter);
    });
  }

  /** Answers waiting polls of `identity` with an empty response (ShutdownWorker). */
  releasePollers(identity: string): void {
    for (const waiter of this.waiters) {
      if (waiter.done || waiter.poll.identity !== identity) continue;
      waiter.done = true;
      waiter.resolve(undefined);
    }
    this.waiters = this.waiters.filter((w) => !w.done);
  }

  releaseAll(): void {
    for (const waiter of this.waiters) {
      if (waiter.done) continue;
      waiter.done = true;
      waiter.resolve(undefined);
    }
    this.waiters = [];
  }

  /** Moves the backlog out (a sticky queue that is given up returns its tasks to the normal queue). */
  drain(): QueuedTask<R>[] {
    const tasks = this.backlog;
    this.backlog = [];
    return tasks;
  }

  get hasWaiters(): boolean {
    return this.waiters.some((w) => !w.done);
  }
}

export class Matching<W, A> {
  private readonly workflowQueues = new Map<string, TaskQueue<W>>();
  private readonly activityQueues = new Map<string, TaskQueue<A>>();

  constructor(private readonly now: () => number) {}

  workflowQueue(namespace: string, name: string): TaskQueue<W> {
    return getOrCreate(
      this.workflowQueues,
      `${namespace}\u0000${name}`,
      () => new TaskQueue(name, 'workflow', this.now),
    );
  }

  activityQueue(namespace: string, name: string): TaskQueue<A> {
    return getOrCreate(
      this.activityQueues,
      `${namespace}\u0000${name}`,
      () => new TaskQueue(name, 'activity', this.now),
    );
  }

  existingWorkflowQueue(namespace: string, name: string): TaskQueue<W> | undefined {
    return this.workflowQueues.get(`${namespace}\u0000${name}`);
  }

  existingActivityQueue(namespace: string, name: string): TaskQueue<A> | undefined {
    return this.activityQueues.get(`${namespace}\u0000${name}`);
  }

  /** Answers every waiting poll empty (server shutdown). */
  releaseAllPollers(): void {
    for (const queue of [...this.workflowQueues.values(), ...this.activityQueues.values()]) queue.releaseAll();
  }

  /** Every queue of a namespace; ShutdownWorker releases the worker's polls on all of them. */
  *queuesOf(namespace: string): Iterable<TaskQueue<W> | TaskQueue<A>> {
    const prefix = `${namespace}\u0000`;
    for (const [key, queue] of this.workflowQueues) if (key.startsWith(prefix)) yield queue;
    for (const [key, queue] of this.activityQueues) if (key.startsWith(prefix)) yield queue;
  }
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/**
 * The scheduler's view of the devserver: SchedulerHost implemented over the Store. Runs are started
 * as StartWorkflowExecution starts them; watches follow a run through continue-as-new, retries and
 * cron to the last run of its chain, as the real scheduler's watcher does.
 */
import type { Release, TimerHandle } from '../clock';
import type { Execution } from '../execution/execution';
import type { Store } from '../store';
import type { SearchAttributeType } from '../visibility/types';
import type { RunOutcome, SchedulerHost, StartWorkflowRequest } from './host';

type OnClosed = (outcome: RunOutcome) => void;

/** Status of a run that no longer exists (the server's watcher reports UNSPECIFIED). */
const STATUS_UNKNOWN = 0;
const SCHEDULER_IDENTITY = 'temporal-scheduler';

export class StoreSchedulerHost implements SchedulerHost {
  /** Watchers of open runs, by run key. */
  private readonly watchers = new Map<string, OnClosed[]>();

  /**
   * The journal's hook: a schedule's state changed (or it was deleted, when Scheduler.snapshot
   * returns undefined). Set once the journal is open.
   */
  onScheduleChanged: (namespace: string, scheduleId: string) => void = () => {};

  constructor(private readonly store: Store) {
    store.addListener({
      changed: () => {},
      closed: (execution) => this.runClosed(execution),
    });
  }

  now(): number {
    return this.store.clock.now();
  }

  scheduleAt(atMs: number, label: string, fire: () => void): TimerHandle {
    return this.store.clock.scheduleAt(atMs, label, fire);
  }

  lockClock(): Release {
    return this.store.clock.lock();
  }

  startWorkflow(request: StartWorkflowRequest): string {
    return this.store.startWorkflow(request).execution.key.runId;
  }

  watchRun(namespace: string, workflowId: string, runId: string, onClosed: OnClosed): void {
    const run = this.store.find(namespace, workflowId, runId);
    if (!run) {
      onClosed({ status: STATUS_UNKNOWN, closeTime: this.now() });
      return;
    }
    const last = this.lastOfChain(run);
    if (!last.isRunning) {
      onClosed(outcomeOf(last));
      return;
    }
    const key = runKey(last.key.namespace, last.key.workflowId, last.key.runId);
    const list = this.watchers.get(key);
    if (list) list.push(onClosed);
    else this.watchers.set(key, [onClosed]);
  }

  terminateRun(namespace: string, workflowId: string, runId: string, reason: string): void {
    this.openRunOfChain(namespace, workflowId, runId)?.terminate(reason, undefined, SCHEDULER_IDENTITY);
  }

  cancelRun(namespace: string, workflowId: string, runId: string, reason: string): void {
    this.openRunOfChain(namespace, workflowId, runId)?.requestCancel(reason, SCHEDULER_IDENTITY);
  }

  isRunning(namespace: string, workflowId: string, runId: string): boolean {
    const run = this.store.find(namespace, workflowId, runId);
    return run !== undefined && this.lastOfChain(run).isRunning;
  }

  changed(namespace: string, scheduleId: string): void {
    this.onScheduleChanged(namespace, scheduleId);
  }

  namespaceId(namespace: string): string {
    return this.store.namespaceId(namespace);
  }

  customSearchAttributes(namespace: string): Readonly<Record<string, SearchAttributeType>> {
    return Object.fromEntries(this.store.namespaces.get(namespace).customSearchAttributes);
  }

  log(message: string, fields?: Record<string, unknown>): void {
    this.store.log(message, fields);
  }

  /**
   * Called by the store inside the closing of a run. Watchers are told on the next clock turn (a
   * timer due now, which fires before the clock may skip ahead), so that the scheduler never acts
   * from inside another run's state change.
   */
  private runClosed(execution: Execution): void {
    const { namespace, workflowId, runId } = execution.key;
    const key = runKey(namespace, workflowId, runId);
    const list = this.watchers.get(key);
    if (!list) return;
    this.watchers.delete(key);
    const newRunId = execution.close?.newRunId;
    this.store.clock.scheduleAt(this.now(), 'schedule run watch', () => {
      for (const onClosed of list) {
        if (newRunId) this.watchRun(namespace, workflowId, newRunId, onClosed);
        else onClosed(outcomeOf(execution));
      }
    });
  }

  /** The run that a chain ended in (or runs in now), following continue-as-new, retries and cron. */
  private lastOfChain(run: Execution): Execution {
    let current = run;
    while (!current.isRunning && current.close?.newRunId) {
      const next = this.store.find(current.key.namespace, current.key.workflowId, current.close.newRunId);
      if (!next) break;
      current = next;
    }
    return current;
  }

  /** The open run of the chain that started with `firstRunId`, if it is still open. */
  private openRunOfChain(namespace: string, workflowId: string, firstRunId: string): Execution | undefined {
    const current = this.store.find(namespace, workflowId);
    if (!current?.isRunning) return undefined;
    const sameChain = current.key.runId === firstRunId || current.config.firstExecutionRunId === firstRunId;
    return sameChain ? current : undefined;
  }
}

function outcomeOf(run: Execution): RunOutcome {
  const close = run.closeEvent();
  return {
    status: run.status,
    result: close?.workflowExecutionCompletedEventAttributes?.result,
    failure: close?.workflowExecutionFailedEventAttributes?.failure,
    closeTime: run.close?.time ?? run.now,
  };
}

function runKey(namespace: string, workflowId: string, runId: string): string {
  return `${namespace}\u0000${workflowId}\u0000${runId}`;
}

/**
 * The crash-safe journal behind `--db-filename`. Every change to a run, a namespace or a schedule
 * marks it dirty; before any response is sent the dirty state is appended and fdatasync'ed (one
 * sync for all requests waiting at that moment: group commit). On start the journal is replayed to
 * rebuild the server, then compacted.
 */
import type { Execution, RunSnapshot } from '../execution/execution';
import type { ExecutionKey, RunConfig } from '../execution/types';
import type { NamespaceRecord } from '../namespaces';
import type { SearchAttributeType } from '../visibility/types';
import type { Store, StoreListener } from '../store';
import { decodeEvents, encodeEvents, fromJson, toJson } from './codec';
import { JournalFile, readRecords } from './file';

interface NamespaceSnapshot extends Omit<NamespaceRecord, 'customSearchAttributes'> {
  customSearchAttributes: [string, SearchAttributeType][];
}

type JournalRecord =
  | { t: 'ns'; ns: NamespaceSnapshot }
  | { t: 'start'; key: ExecutionKey; config: RunConfig }
  | { t: 'run'; key: ExecutionKey; events: string[]; state: RunSnapshot }
  | { t: 'del'; key: ExecutionKey }
  | { t: 'sched'; namespace: string; id: string; state: unknown }
  | { t: 'sched-del'; namespace: string; id: string };

/** What the journal needs from the schedule runtime. */
export interface ScheduleStateSource {
  /** The schedule's JSON-safe state, undefined once deleted. */
  snapshotSchedule(namespace: string, id: string): unknown;
  allSchedules(): { namespace: string; id: string; state: unknown }[];
}

export interface RecoveryReport {
  records: number;
  namespaces: number;
  runs: number;
  openRuns: number;
  events: number;
  schedules: number;
  bytes: number;
  durationMs: number;
}

const COMPACT_MIN_BYTES = 64 * 1024 * 1024;

const runId = (key: ExecutionKey) => `${key.namespace}\u0000${key.workflowId}\u0000${key.runId}`;

export class Journal implements StoreListener {
  private readonly dirtyRuns = new Map<string, Execution>();
  private readonly dirtyNamespaces = new Set<string>();
  private readonly dirtySchedules = new Map<string, { namespace: string; id: string; deleted: boolean }>();
  private readonly pendingDeletes: ExecutionKey[] = [];
  /** Events of each run already in the file, and runs whose configuration is. */
  private readonly persistedEvents = new Map<string, number>();
  private waiters: (() => void)[] = [];
  private writing = false;
  private failed?: Error;
  private bytesAfterCompaction = 0;
  private schedules?: ScheduleStateSource;

  private constructor(
    private readonly file: JournalFile,
    private readonly store: Store,
    private readonly log: (message: string, fields?: Record<string, unknown>) => void,
  ) {}

  /** Opens the journal at `path`, rebuilds `store` from it and compacts it. */
  static async open(
    path: string,
    store: Store,
    log: (message: string, fields?: Record<string, unknown>) => void = () => {},
  ): Promise<{
    journal: Journal;
    report: RecoveryReport;
    pendingSchedules: { namespace: string; id: string; state: unknown }[];
  }> {
    const started = performance.now();
    const { records, validBytes } = readRecords(path);
    const file = await JournalFile.open(path, validBytes);
    const journal = new Journal(file, store, log);
    const { report, schedules } = journal.replay(records.map((r) => fromJson<JournalRecord>(r)));
    store.addListener(journal);
    await journal.compact(schedules);
    report.durationMs = Math.round(performance.now() - started);
    report.bytes = validBytes;
    return { journal, report, pendingSchedules: schedules };
  }

  /** Connects the schedule runtime once it exists (it is restored from `pendingSchedules`). */
  attachSchedules(source: ScheduleStateSource): void {
    this.schedules = source;
  }

  // StoreListener

  changed(execution: Execution): void {
    this.dirtyRuns.set(runId(execution.key), execution);
  }

  closed(execution: Execution): void {
    this.changed(execution);
  }

  namespaceChanged(name: string): void {
    this.dirtyNamespaces.add(name);
  }

  deleted(execution: Execution): void {
    const id = runId(execution.key);
    this.dirtyRuns.delete(id);
    this.persistedEvents.delete(id);
    this.pendingDeletes.push(execution.key);
  }

  scheduleChanged(namespace: string, id: string, deleted = false): void {
    this.dirtySchedules.set(`${namespace}\u0000${id}`, { namespace, id, deleted });
  }

  /** Resolves once every change made so far is on disk. */
  flush(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (!this.hasDirty() && !this.writing) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push(() => (this.failed ? reject(this.failed) : resolve()));
      if (!this.writing) void this.writeLoop();
    });
  }

  private hasDirty(): boolean {
    return (
      this.dirtyRuns.size > 0 ||
      this.dirtyNamespaces.size > 0 ||
      this.dirtySchedules.size > 0 ||
      this.pendingDeletes.length > 0
    );
  }

  private async writeLoop(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiters.length > 0 || this.hasDirty()) {
        const waiters = this.waiters;
        this.waiters = [];
        const records = this.collect();
        try {
          await this.file.append(records);
        } catch (err) {
          // A journal that cannot write must not acknowledge anything any more.
          this.failed = err instanceof Error ? err : new Error(String(err));
          this.log('journal write failed; refusing further requests', { error: this.failed.message });
        }
        for (const waiter of waiters) waiter();
        if (this.failed) return;
        if (this.file.sizeBytes > Math.max(COMPACT_MIN_BYTES, 4 * this.bytesAfterCompaction)) await this.compact();
      }
    } finally {
      this.writing = false;
    }
  }

  /** Takes the dirty state as records; synchronous, so it is a consistent cut. */
  private collect(): string[] {
    const records: string[] = [];
    for (const name of this.dirtyNamespaces) {
      const record = this.store.namespaces.list().find((ns) => ns.name === name);
      if (record) records.push(toJson({ t: 'ns', ns: namespaceSnapshot(record) } satisfies JournalRecord));
    }
    this.dirtyNamespaces.clear();
    for (const key of this.pendingDeletes.splice(0)) records.push(toJson({ t: 'del', key } satisfies JournalRecord));
    for (const [id, execution] of this.dirtyRuns) records.push(...this.runRecords(id, execution));
    this.dirtyRuns.clear();
    for (const { namespace, id, deleted } of this.dirtySchedules.values()) {
      const state = deleted ? undefined : this.schedules?.snapshotSchedule(namespace, id);
      records.push(
        toJson(
          state === undefined
            ? ({ t: 'sched-del', namespace, id } satisfies JournalRecord)
            : ({ t: 'sched', namespace, id, state } satisfies JournalRecord),
        ),
      );
    }
    this.dirtySchedules.clear();
    return records;
  }

  private runRecords(id: string, execution: Execution): string[] {
    const records: string[] = [];
    let persisted = this.persistedEvents.get(id);
    if (persisted === undefined) {
      records.push(toJson({ t: 'start', key: execution.key, config: execution.config } satisfies JournalRecord));
      persisted = 0;
    }
    const events = execution.history.events;
    records.push(
      toJson({
        t: 'run',
        key: execution.key,
        events: encodeEvents(events.slice(persisted)),
        state: execution.snapshot(),
      } satisfies JournalRecord),
    );
    this.persistedEvents.set(id, events.length);
    return records;
  }

  /** Rewrites the file as one record per namespace, run and schedule. */
  private async compact(pendingSchedules: { namespace: string; id: string; state: unknown }[] = []): Promise<void> {
    const records: string[] = [];
    for (const ns of this.store.namespaces.list())
      records.push(toJson({ t: 'ns', ns: namespaceSnapshot(ns) } satisfies JournalRecord));
    this.persistedEvents.clear();
    for (const execution of this.store.allRunsInStartOrder())
      records.push(...this.runRecords(runId(execution.key), execution));
    const schedules = this.schedules
      ? this.schedules
          .allSchedules()
          .map(({ namespace, id }) => ({ namespace, id, state: this.schedules!.snapshotSchedule(namespace, id) }))
      : pendingSchedules;
    for (const { namespace, id, state } of schedules) {
      if (state !== undefined) records.push(toJson({ t: 'sched', namespace, id, state } satisfies JournalRecord));
    }
    this.dirtyRuns.clear();
    this.dirtyNamespaces.clear();
    await this.file.rewrite(records);
    this.bytesAfterCompaction = this.file.sizeBytes;
  }

  /** Applies the records in order and rebuilds the store's runs. */
  private replay(records: JournalRecord[]): {
    report: RecoveryReport;
    schedules: { namespace: string; id: string; state: unknown }[];
  } {
    const runs = new Map<
      string,
      { key: ExecutionKey; config?: RunConfig; events: string[][]; state?: RunSnapshot; order: number }
    >();
    const schedules = new Map<string, { namespace: string; id: string; state: unknown }>();
    let order = 0;
    for (const record of records) {
      switch (record.t) {
        case 'ns':
          this.store.namespaces.restore({
            ...record.ns,
            customSearchAttributes: new Map(record.ns.customSearchAttributes),
          });
          break;
        case 'start':
          runs.set(runId(record.key), { key: record.key, config: record.config, events: [], order: order++ });
          break;
        case 'run': {
          const run = runs.get(runId(record.key));
          if (!run) break;
          run.events.push(record.events);
          run.state = record.state;
          break;
        }
        case 'del':
          runs.delete(runId(record.key));
          break;
        case 'sched':
          schedules.set(`${record.namespace}\u0000${record.id}`, {
            namespace: record.namespace,
            id: record.id,
            state: record.state,
          });
          break;
        case 'sched-del':
          schedules.delete(`${record.namespace}\u0000${record.id}`);
          break;
      }
    }
    let events = 0;
    let openRuns = 0;
    const ordered = [...runs.values()].sort((a, b) => a.order - b.order);
    for (const run of ordered) {
      if (!run.config || !run.state) continue;
      const history = decodeEvents(run.events.flat());
      events += history.length;
      const execution = this.store.restoreRun(run.key, run.config, history, run.state);
      if (execution.isRunning) openRuns++;
      this.persistedEvents.set(runId(run.key), history.length);
    }
    return {
      report: {
        records: records.length,
        namespaces: this.store.namespaces.list().length,
        runs: ordered.length,
        openRuns,
        events,
        schedules: schedules.size,
        bytes: 0,
        durationMs: 0,
      },
      schedules: [...schedules.values()],
    };
  }

  async close(): Promise<void> {
    await this.flush().catch(() => {});
    await this.file.close();
  }
}

function namespaceSnapshot(record: NamespaceRecord): NamespaceSnapshot {
  return { ...record, customSearchAttributes: [...record.customSearchAttributes] };
}

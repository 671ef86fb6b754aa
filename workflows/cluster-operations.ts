/**
 * How the cluster entity runs operations: it claims the lock, starts the operation's child
 * workflow, and applies the outcome (or records the failure) when the child ends. Also the
 * entity's own bookkeeping: the failover monitor and audit entries (backups and schedules are in
 * cluster-backups.ts).
 */
import {
  type ChildWorkflowHandle,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { refuse } from './errors';
import { acts, type OperationContext, type OperationOutcome, primaryOf } from './operation';
import { OPERATION_WORKFLOWS, type OperationInput } from './operation-params';
import { monitorWorkflowId, type MonitorInput } from './failover-monitor';
import { BackupBook, failureMessage } from './cluster-backups';
import { scheduleActivities } from './schedules';
import {
  type AuditEntry,
  type BackupEntry,
  type BackupKind,
  type BackupSchedule,
  type ClusterState,
  type Credentials,
  type NodeInfo,
  type NodePlan,
  type OperationRef,
  type OperationType,
  type RestoreSource,
} from './types';

const MAX_AUDIT_ENTRIES = 500;
const MAX_HISTORY = 50;

export class ClusterOperations {
  private monitorGeneration = 0;
  private pendingAudit: AuditEntry[] = [];
  /** Follow-up work (notifications, schedules, monitor) still running; awaited before the run ends. */
  private readonly background = new Set<Promise<unknown>>();
  readonly book: BackupBook;

  constructor(
    private readonly state: ClusterState,
    private readonly credentials: Credentials,
  ) {
    this.book = new BackupBook(
      state,
      (actor, action, target, outcome, detail) => this.audit(actor, action, target, outcome, detail),
      (backupId) => this.inUse(backupId),
    );
  }

  // ---- lookups and refusals (used by Update validators) ----

  assertAlive(): void {
    if (this.state.status === 'deleted' || this.state.status === 'deleting') {
      throw refuse('PreconditionFailedError', `cluster ${this.state.spec.name} is ${this.state.status}`);
    }
  }

  assertIdle(options: { allowFailed?: boolean } = {}): void {
    const op = this.state.operation;
    if (op) throw refuse('ClusterBusyError', `cluster busy: ${op.type} running since ${op.startedAt}`);
    this.assertAlive();
    if (this.state.status === 'failed' && !options.allowFailed) {
      throw refuse(
        'PreconditionFailedError',
        `cluster ${this.state.spec.name} failed to deploy; it can only be deleted`,
      );
    }
  }

  node(name: string): NodeInfo {
    const found = this.state.nodes.find((n) => n.name === name);
    if (!found)
      throw refuse('NodeNotFoundError', `node ${JSON.stringify(name)} is not part of cluster ${this.state.spec.name}`);
    return found;
  }

  backupEntry(id: string): BackupEntry {
    const found = this.state.backups.find((b) => b.id === id);
    if (!found)
      throw refuse(
        'BackupNotFoundError',
        `backup ${JSON.stringify(id)} is not in the catalogue of ${this.state.spec.name}`,
      );
    return found;
  }

  schedule(id: string): BackupSchedule {
    const found = this.state.schedules.find((s) => s.id === id);
    if (!found)
      throw refuse('ScheduleNotFoundError', `schedule ${JSON.stringify(id)} does not exist on ${this.state.spec.name}`);
    return found;
  }

  /** A backup the running operation reads or writes must not be deleted under it. */
  inUse(backupId: string): boolean {
    return this.inUseIds.has(backupId);
  }
  private inUseIds = new Set<string>();

  audit(actor: string, action: string, target: string, outcome: AuditEntry['outcome'], detail?: string): void {
    const entry: AuditEntry = { at: new Date().toISOString(), actor, action, target, outcome, detail };
    this.state.audit.push(entry);
    if (this.state.audit.length > MAX_AUDIT_ENTRIES)
      this.state.audit.splice(0, this.state.audit.length - MAX_AUDIT_ENTRIES);
    this.pendingAudit.push(entry);
  }

  // ---- operations ----

  deploy(actor: string, restoreFrom?: RestoreSource): Promise<OperationRef> {
    return this.start('deploy', actor, { restoreFrom });
  }

  addNode(actor: string, plan: NodePlan): Promise<OperationRef> {
    const nodeNumber = this.state.nextNodeNumber;
    return this.start('add-node', actor, { nodeName: `${this.state.spec.name}${nodeNumber}`, nodeNumber, plan });
  }

  removeNode(actor: string, node: string): Promise<OperationRef> {
    return this.start('remove-node', actor, { node });
  }

  promote(actor: string, node: string, automatic: boolean, reason?: string): Promise<OperationRef> {
    const postPromoteBackup = this.book.newBackup('post-promote', node, 'after promotion');
    return this.start('promote', actor, { node, automatic, reason, postPromoteBackup });
  }

  resync(actor: string): Promise<OperationRef> {
    return this.start('resync', actor, {});
  }

  backup(actor: string, kind: BackupKind, label?: string, scheduleId?: string): Promise<OperationRef> {
    const primary = primaryOf(this.state.nodes);
    const backup = this.book.newBackup(kind, primary?.name ?? '', label, scheduleId);
    // The catalogue shows the backup while it runs; it ends completed or defunct.
    this.state.backups.push(backup);
    return this.start('backup', actor, { backup }, { uses: [backup.id] });
  }

  async deleteBackup(actor: string, backupId: string): Promise<void> {
    const backup = this.backupEntry(backupId);
    await acts.deleteBackup(backup.key);
    this.book.remove([backupId]);
    this.audit(actor, 'delete-backup', backupId, 'succeeded');
  }

  restore(actor: string, backupId: string): Promise<OperationRef> {
    const backup = this.backupEntry(backupId);
    return this.start('restore', actor, { backup }, { uses: [backupId] });
  }

  migrate(actor: string): Promise<OperationRef> {
    const primary = primaryOf(this.state.nodes);
    const preMigrationBackup = this.book.newBackup('pre-migration', primary?.name ?? '', 'before migration');
    return this.start('migration', actor, { preMigrationBackup });
  }

  setAllowlist(actor: string, allowlist: string[]): Promise<OperationRef> {
    return this.start('allowlist', actor, { allowlist });
  }

  deleteCluster(actor: string, skipFinalBackup: boolean): Promise<OperationRef> {
    const primary = primaryOf(this.state.nodes);
    const finalBackup =
      skipFinalBackup || !primary || this.state.status === 'failed'
        ? undefined
        : this.book.newBackup('pre-delete', primary.name, 'final backup before deletion');
    return this.start('delete', actor, {
      finalBackup,
      backups: [...this.state.backups],
      scheduleIds: this.state.schedules.map((s) => s.id),
    });
  }

  /** A backup schedule fired: back up, or record a defunct backup when the cluster is locked. */
  async scheduledBackup(scheduleId: string): Promise<void> {
    const schedule = this.state.schedules.find((s) => s.id === scheduleId);
    if (!schedule || schedule.paused || this.state.status !== 'running') return;
    const op = this.state.operation;
    if (op) {
      const primary = primaryOf(this.state.nodes);
      const defunct = this.book.newBackup('scheduled', primary?.name ?? '', undefined, scheduleId);
      defunct.status = 'defunct';
      defunct.finishedAt = defunct.startedAt;
      defunct.error = `cluster busy: ${op.type} running since ${op.startedAt}`;
      this.book.setExpiry(defunct);
      this.state.backups.push(defunct);
      this.audit(`schedule:${scheduleId}`, 'backup', this.state.spec.name, 'failed', defunct.error);
      return;
    }
    await this.backup(`schedule:${scheduleId}`, 'scheduled', undefined, scheduleId);
  }

  /** The failover monitor saw the primary fail: promote its candidate unless something else runs. */
  async autoFailover(candidate: string, reason: string): Promise<void> {
    if (this.state.operation || this.state.status !== 'running' || !this.state.settings.autoFailover) return;
    if (!this.state.nodes.some((n) => n.name === candidate && n.role === 'replica')) return;
    await this.promote('auto-failover', candidate, true, reason);
  }

  // ---- the lock ----

  /**
   * Claims the cluster for an operation (synchronously, before any await, so two Updates in one
   * activation cannot both pass), starts its child workflow and follows it to the end.
   */
  private async start<P>(
    type: OperationType,
    actor: string,
    params: P,
    options: { uses?: string[] } = {},
  ): Promise<OperationRef> {
    this.assertIdle({ allowFailed: type === 'delete' });
    const id = `cluster:${this.state.spec.name}:${type}:${++this.state.operationCounter}`;
    const ref: OperationRef = { type, id, startedAt: new Date().toISOString(), actor };
    this.state.operation = ref;
    if (type === 'deploy') this.state.status = 'deploying';
    if (type === 'delete') this.state.status = 'deleting';
    for (const backupId of options.uses ?? []) this.inUseIds.add(backupId);
    this.audit(actor, type, this.state.spec.name, 'started');
    upsertSearchAttributes({ ClusterOperation: [type] });
    const input: OperationInput<P> = { context: this.context(ref), params };
    let handle: ChildWorkflowHandle<(input: OperationInput<P>) => Promise<OperationOutcome>>;
    try {
      handle = await startChild<(input: OperationInput<P>) => Promise<OperationOutcome>>(OPERATION_WORKFLOWS[type], {
        workflowId: id,
        args: [input],
        parentClosePolicy: ParentClosePolicy.TERMINATE,
        // Found in the Web UI and by the API with the cluster's own run (ClusterName = "<name>").
        searchAttributes: this.runSearchAttributes(type),
      });
    } catch (err) {
      this.finish(ref, undefined, err);
      throw err;
    }
    void handle.result().then(
      (outcome) => this.finish(ref, outcome),
      (err: unknown) => this.finish(ref, undefined, err),
    );
    return ref;
  }

  private context(ref: OperationRef): OperationContext {
    return {
      operationId: ref.id,
      type: ref.type,
      actor: ref.actor,
      spec: this.state.spec,
      nodes: this.state.nodes,
      credentials: this.credentials,
      endpoint: this.state.endpoint,
      allowlist: this.state.allowlist,
      settings: this.state.settings,
    };
  }

  /** Applies an operation's outcome (or records its failure) and releases the lock. */
  private finish(ref: OperationRef, outcome: OperationOutcome | undefined, error?: unknown): void {
    const state = this.state;
    const message = error === undefined ? undefined : failureMessage(error);
    if (outcome) this.apply(ref, outcome);
    else this.applyFailure(ref, message ?? 'failed');
    state.operation = undefined;
    this.inUseIds.clear();
    state.history.push({
      ...ref,
      finishedAt: new Date().toISOString(),
      outcome: outcome ? 'succeeded' : 'failed',
      error: message,
    });
    if (state.history.length > MAX_HISTORY) state.history.shift();
    this.audit(ref.actor, ref.type, state.spec.name, outcome ? 'succeeded' : 'failed', outcome?.summary ?? message);
    upsertSearchAttributes({ ClusterOperation: [] });
    this.inBackground(this.afterOperation(ref, outcome ? 'succeeded' : 'failed', outcome?.summary ?? message ?? ''));
  }

  private inBackground(work: Promise<unknown>): void {
    const tracked = work.finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }

  /** No follow-up work is running. */
  isQuiet(): boolean {
    return this.background.size === 0;
  }

  /** Resolves once no follow-up work is running (before continue-as-new or the end of the run). */
  async settled(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  private apply(ref: OperationRef, outcome: OperationOutcome): void {
    const state = this.state;
    if (outcome.nodes) {
      state.nodes = outcome.nodes;
      state.nextNodeNumber = Math.max(state.nextNodeNumber, ...outcome.nodes.map((n) => n.number + 1));
    }
    if (outcome.endpoint) state.endpoint = outcome.endpoint;
    if (outcome.allowlist) state.allowlist = outcome.allowlist;
    if (outcome.backupsRemoved) this.book.remove(outcome.backupsRemoved);
    for (const backup of outcome.backupsAdded ?? []) {
      this.book.setExpiry(backup);
      const existing = state.backups.findIndex((b) => b.id === backup.id);
      if (existing >= 0) state.backups[existing] = backup;
      else state.backups.push(backup);
    }
    if (ref.type === 'deploy') state.status = 'running';
    if (ref.type === 'delete') state.status = 'deleted';
    if (ref.type === 'backup') {
      const scheduleId = outcome.backupsAdded?.[0]?.scheduleId;
      if (scheduleId) this.inBackground(this.book.prune(scheduleId));
    }
  }

  private applyFailure(ref: OperationRef, message: string): void {
    const state = this.state;
    if (ref.type === 'deploy') state.status = 'failed';
    if (ref.type === 'delete') state.status = 'running';
    for (const backup of state.backups) {
      if (backup.status === 'running' && this.inUseIds.has(backup.id)) {
        backup.status = 'defunct';
        backup.finishedAt = new Date().toISOString();
        backup.error = message;
        this.book.setExpiry(backup);
      }
    }
  }

  /** After every operation: tell the audit log and the user, and keep schedules and monitor in step. */
  private async afterOperation(ref: OperationRef, outcome: 'succeeded' | 'failed', detail: string): Promise<void> {
    const entries = this.pendingAudit.splice(0);
    const { webhookUrl, emails } = this.state.settings.notifications;
    await this.bestEffort('record audit entries', () => acts.recordAudit(this.state.spec.name, entries));
    const wanted = webhookUrl !== undefined || (emails?.length ?? 0) > 0;
    if (wanted) {
      await this.bestEffort('notify', () =>
        acts.notify({
          cluster: this.state.spec.name,
          operation: ref.type,
          operationId: ref.id,
          outcome,
          detail,
          at: new Date().toISOString(),
          webhookUrl,
          emails,
        }),
      );
    }
    if (outcome !== 'succeeded') return;
    if (ref.type === 'deploy') {
      for (const schedule of this.state.schedules) {
        await this.bestEffort(`create schedule ${schedule.id}`, () =>
          scheduleActivities.upsertBackupSchedule(this.book.scheduleRequest(schedule)),
        );
      }
    }
    if (['deploy', 'add-node', 'remove-node', 'promote', 'restore', 'resync'].includes(ref.type)) {
      await this.bestEffort('restart the failover monitor', () => this.restartMonitor());
    }
    if (ref.type === 'delete') await this.stopMonitor();
  }

  /** Follow-up work that must not fail the cluster: a failure is audited and logged instead. */
  private async bestEffort(what: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.audit('system', what, this.state.spec.name, 'failed', failureMessage(err));
      log.warn(`${what} failed`, { cluster: this.state.spec.name, error: failureMessage(err) });
    }
  }

  /** Settings changed: backups already taken keep their expiry; the monitor follows autoFailover. */
  async applySettings(): Promise<void> {
    if (this.state.status === 'running') await this.restartMonitor();
  }

  // ---- failover monitor ----

  resumeMonitor(): void {
    if (this.state.status === 'running') this.inBackground(this.restartMonitor());
  }

  private monitorId(): string {
    return monitorWorkflowId(this.state.spec.name, this.monitorGeneration);
  }

  async stopMonitor(): Promise<void> {
    if (this.monitorGeneration === 0) return;
    await getExternalWorkflowHandle(this.monitorId())
      .cancel()
      .catch(() => undefined);
  }

  private async restartMonitor(): Promise<void> {
    await this.stopMonitor();
    const state = this.state;
    const primary = primaryOf(state.nodes);
    const replicas = state.nodes.filter((n) => n.role === 'replica');
    if (!state.settings.autoFailover || !primary || replicas.length === 0 || state.spec.mode !== 'primary-replica')
      return;
    this.monitorGeneration++;
    const input: MonitorInput = {
      cluster: state.spec.name,
      entityId: workflowInfo().workflowId,
      spec: state.spec,
      credentials: this.credentials,
      primary,
      replicas,
      settings: state.settings,
    };
    await startChild('failoverMonitorWorkflow', {
      workflowId: this.monitorId(),
      args: [input],
      parentClosePolicy: ParentClosePolicy.TERMINATE,
      searchAttributes: this.runSearchAttributes(),
    });
  }

  /** The search attributes of the cluster's child runs (search attributes are not command arguments replay compares). */
  private runSearchAttributes(operation?: OperationType) {
    return {
      ClusterName: [this.state.spec.name],
      ClusterEngine: [this.state.spec.engine],
      ...(operation ? { ClusterOperation: [operation] } : {}),
    };
  }

  // ---- lifecycle ----

  wantsContinueAsNew(maxEvents: number): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > maxEvents;
  }

  /** The cluster is gone: its final backup outlives it for 15 days in a workflow of its own. */
  async finishDeletion(): Promise<void> {
    const finalBackup = this.state.backups.find((b) => b.kind === 'pre-delete' && b.status === 'completed');
    if (!finalBackup) return;
    await startChild('backupExpiryWorkflow', {
      workflowId: `cluster:${this.state.spec.name}:final-backup:${finalBackup.id}`,
      args: [{ cluster: this.state.spec.name, backup: finalBackup }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  }
}

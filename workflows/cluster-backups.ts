/**
 * The backup catalogue and backup schedules of a cluster entity: ids and expiry of new backups,
 * pruning per schedule, retention, and the Temporal Schedules behind the schedules.
 */
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, uuid4, workflowInfo } from '@temporalio/workflow';
import { acts } from './operation';
import { scheduleActivities, userSchedule } from './schedules';
import {
  PRE_DELETE_RETENTION_DAYS,
  RETENTION_DAYS,
  type AuditEntry,
  type BackupEntry,
  type BackupKind,
  type BackupSchedule,
  type ClusterState,
} from './types';

const DAY_MS = 24 * 3600 * 1000;

export type AuditFn = (
  actor: string,
  action: string,
  target: string,
  outcome: AuditEntry['outcome'],
  detail?: string,
) => void;

export class BackupBook {
  constructor(
    private readonly state: ClusterState,
    private readonly audit: AuditFn,
    /** Backups the running operation uses; they are neither pruned nor expired under it. */
    private readonly inUse: (backupId: string) => boolean,
  ) {}

  schedule(id: string): BackupSchedule | undefined {
    return this.state.schedules.find((s) => s.id === id);
  }

  newBackup(kind: BackupKind, sourceNode: string, label?: string, scheduleId?: string): BackupEntry {
    const id = `b-${uuid4().slice(0, 8)}`;
    return {
      id,
      label: label ?? `${kind} backup of ${this.state.spec.name}`,
      kind,
      scheduleId,
      status: 'running',
      startedAt: new Date().toISOString(),
      engine: this.state.spec.engine,
      sourceNode,
      key: `${this.state.spec.name}/${id}`,
    };
  }

  /** Default-schedule backups expire after the support level's retention; final backups after 15 days. */
  setExpiry(backup: BackupEntry): void {
    const schedule = this.state.schedules.find((s) => s.id === backup.scheduleId);
    const base = Date.parse(backup.finishedAt ?? backup.startedAt);
    if (schedule?.kind === 'default')
      backup.expiresAt = new Date(base + RETENTION_DAYS[this.state.settings.supportLevel] * DAY_MS).toISOString();
    if (backup.kind === 'pre-delete')
      backup.expiresAt = new Date(base + PRE_DELETE_RETENTION_DAYS * DAY_MS).toISOString();
  }

  remove(ids: readonly string[]): void {
    this.state.backups = this.state.backups.filter((b) => !ids.includes(b.id));
  }

  /** Keeps a user schedule's newest `keep` backups (defunct ones count) and deletes the rest. */
  async prune(scheduleId: string): Promise<void> {
    const schedule = this.state.schedules.find((s) => s.id === scheduleId);
    if (!schedule?.keep) return;
    const own = this.state.backups
      .filter((b) => b.scheduleId === scheduleId && b.status !== 'running')
      .sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
    const excess = own.slice(schedule.keep);
    for (const backup of excess) {
      if (backup.status === 'completed') await acts.deleteBackup(backup.key);
      this.remove([backup.id]);
      this.audit(`schedule:${scheduleId}`, 'prune-backup', backup.id, 'succeeded', `beyond keep=${schedule.keep}`);
    }
  }

  nextExpiry(): number | undefined {
    const times = this.state.backups
      .filter((b) => b.expiresAt && !this.inUse(b.id))
      .map((b) => Date.parse(b.expiresAt!));
    return times.length ? Math.min(...times) : undefined;
  }

  expiredDue(): boolean {
    const next = this.nextExpiry();
    return next !== undefined && next <= Date.now();
  }

  async deleteExpired(): Promise<void> {
    const now = Date.now();
    for (const backup of this.state.backups.filter(
      (b) => b.expiresAt && Date.parse(b.expiresAt) <= now && !this.inUse(b.id),
    )) {
      try {
        if (backup.status === 'completed') await acts.deleteBackup(backup.key);
        this.remove([backup.id]);
        this.audit('retention', 'expire-backup', backup.id, 'succeeded', `expired at ${backup.expiresAt}`);
      } catch (err) {
        // Try again in an hour rather than failing the cluster over a file that would not go away.
        backup.expiresAt = new Date(now + 3600 * 1000).toISOString();
        this.audit('retention', 'expire-backup', backup.id, 'failed', failureMessage(err));
      }
    }
  }

  scheduleRequest(schedule: BackupSchedule) {
    return { cluster: this.state.spec.name, schedule, taskQueue: workflowInfo().taskQueue };
  }

  async createSchedule(
    actor: string,
    request: { intervalMinutes?: number; cron?: string; keep: number },
  ): Promise<BackupSchedule> {
    const schedule = userSchedule(`s-${uuid4().slice(0, 8)}`, request, new Date().toISOString());
    this.state.schedules.push(schedule);
    try {
      await scheduleActivities.upsertBackupSchedule(this.scheduleRequest(schedule));
    } catch (err) {
      this.state.schedules = this.state.schedules.filter((s) => s.id !== schedule.id);
      throw err;
    }
    this.audit(actor, 'create-schedule', schedule.id, 'succeeded', JSON.stringify(request));
    return schedule;
  }

  async deleteSchedule(actor: string, scheduleId: string): Promise<void> {
    await scheduleActivities.deleteBackupSchedule(this.state.spec.name, scheduleId);
    this.state.schedules = this.state.schedules.filter((s) => s.id !== scheduleId);
    this.audit(actor, 'delete-schedule', scheduleId, 'succeeded');
  }

  async pauseSchedule(actor: string, scheduleId: string, paused: boolean): Promise<BackupSchedule> {
    const schedule = this.schedule(scheduleId)!;
    schedule.paused = paused;
    await scheduleActivities.upsertBackupSchedule(this.scheduleRequest(schedule));
    this.audit(actor, paused ? 'pause-schedule' : 'unpause-schedule', scheduleId, 'succeeded');
    return schedule;
  }

  async triggerSchedule(actor: string, scheduleId: string): Promise<void> {
    await scheduleActivities.triggerBackupSchedule(this.state.spec.name, scheduleId);
    this.audit(actor, 'trigger-schedule', scheduleId, 'succeeded');
  }
}

/** The message of the failure at the root of a child/activity failure chain. */
export function failureMessage(error: unknown): string {
  let cause: unknown = error;
  while ((cause instanceof ChildWorkflowFailure || cause instanceof ActivityFailure) && cause.cause)
    cause = cause.cause;
  if (cause instanceof ApplicationFailure || cause instanceof Error) return cause.message;
  return String(cause);
}

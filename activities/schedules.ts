/**
 * Backup schedules as Temporal Schedules (visible, pausable and triggerable in the Web UI). Each
 * starts `scheduledBackupWorkflow({ cluster, scheduleId })`, which hands the request to the cluster
 * entity; the entity is the lock, so overlapping runs are allowed here and recorded there as defunct.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  isGrpcServiceError,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type ScheduleClient,
  type ScheduleSpec,
} from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import type { BackupSchedule } from '../workflows/types';
import type { ScheduleRequest } from './contract';
import { BackupScheduleNotFoundError, InvalidBackupScheduleError } from './errors';

export interface ScheduleGateway {
  /** Creates the schedule, or brings an existing one in line with `request` (spec, action, paused). */
  upsert(request: ScheduleRequest): Promise<void>;
  /** Deletes the schedule; a missing one is fine. */
  delete(cluster: string, scheduleId: string): Promise<void>;
  /**
   * Starts one backup now. Calls with the same `requestId` start it once (the server deduplicates),
   * which makes a retried trigger harmless.
   */
  trigger(cluster: string, scheduleId: string, requestId?: string): Promise<void>;
}

export const SCHEDULED_BACKUP_WORKFLOW = 'scheduledBackupWorkflow';

/** `backup:<cluster>:<scheduleId>`: the Temporal Schedule's id and its workflows' id prefix. */
export function backupScheduleId(cluster: string, scheduleId: string): string {
  return `backup:${cluster}:${scheduleId}`;
}

/**
 * A missed run is started late only within this window (worker or server down); older ones are
 * skipped rather than all started at once when the service comes back.
 */
const CATCHUP_WINDOW = '1 hour';
const PAUSED_NOTE = 'paused through the orchestrator';

/**
 * The service refusing the schedule's spec (INVALID_ARGUMENT, which the SDK's schedule client turns
 * into a TypeError) is final: retrying the same spec cannot help, and a retried activity would hold
 * its operation forever.
 */
function refusedSpec(err: unknown, request: ScheduleRequest): unknown {
  const invalid = err instanceof TypeError || (isGrpcServiceError(err) && err.code === GrpcStatus.INVALID_ARGUMENT);
  if (!invalid) return err;
  return new InvalidBackupScheduleError(
    `Temporal refused backup schedule ${request.schedule.id} of cluster ${request.cluster}: ${(err as Error).message}`,
  );
}

export class TemporalScheduleGateway implements ScheduleGateway {
  constructor(private readonly client: ScheduleClient) {}

  async upsert(request: ScheduleRequest): Promise<void> {
    const id = backupScheduleId(request.cluster, request.schedule.id);
    const options = {
      spec: specOf(request.schedule),
      action: {
        type: 'startWorkflow' as const,
        workflowType: SCHEDULED_BACKUP_WORKFLOW,
        args: [{ cluster: request.cluster, scheduleId: request.schedule.id }],
        taskQueue: request.taskQueue,
        workflowId: id,
        // Each scheduled backup run is found by its cluster, like the cluster's other runs.
        searchAttributes: { ClusterName: [request.cluster] },
      },
      searchAttributes: { ClusterName: [request.cluster] },
      policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: CATCHUP_WINDOW },
      state: { paused: request.schedule.paused, ...(request.schedule.paused ? { note: PAUSED_NOTE } : {}) },
    };
    try {
      await this.client.create({ scheduleId: id, ...options });
      return;
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw refusedSpec(err, request);
    }
    const handle = this.client.getHandle(id);
    let wasPaused = false;
    await handle
      .update((previous) => {
        wasPaused = previous.state.paused;
        return { ...options, state: { ...options.state, remainingActions: undefined } };
      })
      .catch((err: unknown) => {
        throw refusedSpec(err, request);
      });
    // Some servers keep the paused flag across updates; say it explicitly when it changes.
    if (wasPaused !== request.schedule.paused) {
      await (request.schedule.paused ? handle.pause(PAUSED_NOTE) : handle.unpause('resumed through the orchestrator'));
    }
  }

  async delete(cluster: string, scheduleId: string): Promise<void> {
    try {
      await this.client.getHandle(backupScheduleId(cluster, scheduleId)).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }

  async trigger(cluster: string, scheduleId: string, requestId?: string): Promise<void> {
    const id = backupScheduleId(cluster, scheduleId);
    // The SDK's handle.trigger() sends a fresh request id each time; a stable one makes retries harmless.
    try {
      await this.client.workflowService.patchSchedule({
        namespace: this.client.options.namespace,
        scheduleId: id,
        identity: this.client.options.identity,
        requestId: requestId ?? randomUUID(),
        patch: {
          triggerImmediately: {
            overlapPolicy: temporal.api.enums.v1.ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
          },
        },
      });
    } catch (err) {
      if (isGrpcServiceError(err) && err.code === GrpcStatus.NOT_FOUND) {
        throw new BackupScheduleNotFoundError(
          `backup schedule ${scheduleId} of cluster ${cluster} has no Temporal Schedule (${id}); save the schedule again to recreate it`,
        );
      }
      throw err;
    }
  }
}

function specOf(schedule: BackupSchedule): ScheduleSpec {
  const hasInterval = schedule.intervalMinutes !== undefined;
  const hasCron = schedule.cron !== undefined && schedule.cron !== '';
  if (hasInterval === hasCron) {
    throw new InvalidBackupScheduleError(
      `backup schedule ${schedule.id} needs exactly one of intervalMinutes and cron (it has ${hasInterval ? 'both' : 'neither'})`,
    );
  }
  if (hasInterval) {
    const minutes = schedule.intervalMinutes as number;
    if (!Number.isSafeInteger(minutes) || minutes <= 0) {
      throw new InvalidBackupScheduleError(
        `backup schedule ${schedule.id} has interval ${minutes} minutes; it must be a positive whole number`,
      );
    }
    return { intervals: [{ every: minutes * 60_000 }] };
  }
  return { cronExpressions: [schedule.cron as string] };
}

/** Backups (list, read, create, delete, restore in place or into a new cluster) and backup schedules. */
import {
  backupUpdate,
  createScheduleUpdate,
  deleteBackupUpdate,
  deleteScheduleUpdate,
  pauseScheduleUpdate,
  restoreUpdate,
  triggerScheduleUpdate,
} from '../../workflows/cluster-api';
import { checkScheduleRequest } from '../../workflows/cluster-rules';
import { createCluster } from '../cluster-creation';
import { ResourceNotFoundError } from '../errors';
import { defineRoute, type AnyRoute } from '../route-kit';
import {
  BackupParams,
  ClusterParams,
  CreateBackupRequest,
  CreateScheduleRequest,
  EmptyBody,
  RestoreToNewClusterRequest,
  ScheduleParams,
} from '../schemas';
import {
  BackupEntry,
  BackupList,
  BackupSchedule,
  OperationAccepted,
  ScheduleList,
  ScheduleTriggered,
} from '../response-schemas';
import { accepted, CLUSTER_PROBLEMS, clusterUrl, UPDATE_PROBLEMS, type RouteContext } from './context';

export function backupRoutes(context: RouteContext): AnyRoute[] {
  const { gateway } = context;
  const started = { 202: { description: 'operation started', schema: OperationAccepted } };
  return [
    defineRoute({
      method: 'get',
      path: '/v1/clusters/{name}/backups',
      operationId: 'listBackups',
      tag: 'backups',
      summary: "The cluster's backup catalogue (running, completed and defunct backups)",
      params: ClusterParams,
      responses: { 200: { description: 'backups, oldest first', schema: BackupList } },
      problems: CLUSTER_PROBLEMS,
      handler: async ({ params }) => ({ status: 200, body: { backups: (await gateway.state(params.name)).backups } }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/clusters/{name}/backups/{backupId}',
      operationId: 'getBackup',
      tag: 'backups',
      summary: 'One backup of the catalogue',
      params: BackupParams,
      responses: { 200: { description: 'the backup', schema: BackupEntry } },
      problems: CLUSTER_PROBLEMS,
      handler: async ({ params }) => {
        const backup = (await gateway.state(params.name)).backups.find((b) => b.id === params.backupId);
        if (!backup)
          throw new ResourceNotFoundError(`backup ${params.backupId} is not in the catalogue of ${params.name}`);
        return { status: 200, body: backup };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/clusters/{name}/backups',
      operationId: 'createBackup',
      tag: 'backups',
      summary: 'Back up the primary now (refused with 409 while any operation runs)',
      description: "The backup's id is in the operation's result (`backupsAdded`) and in the catalogue.",
      params: ClusterParams,
      body: CreateBackupRequest,
      bodyOptional: true,
      example: { label: 'before the schema change' },
      responses: started,
      problems: UPDATE_PROBLEMS,
      handler: async ({ params, body, actor }) =>
        accepted(context, params.name, await gateway.update(params.name, backupUpdate, { actor, ...body })),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/clusters/{name}/backups/{backupId}',
      operationId: 'deleteBackup',
      tag: 'backups',
      summary: 'Delete a backup (not one that is running or in use)',
      params: BackupParams,
      body: EmptyBody,
      bodyOptional: true,
      responses: { 204: { description: 'deleted' } },
      problems: UPDATE_PROBLEMS,
      handler: async ({ params, actor }) => {
        await gateway.update(params.name, deleteBackupUpdate, { actor, backupId: params.backupId });
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/clusters/{name}/backups/{backupId}/restore',
      operationId: 'restoreBackup',
      tag: 'backups',
      summary: 'Restore a backup in place (the primary, then every replica from it)',
      params: BackupParams,
      body: EmptyBody,
      bodyOptional: true,
      example: {},
      responses: started,
      problems: UPDATE_PROBLEMS,
      handler: async ({ params, actor }) =>
        accepted(
          context,
          params.name,
          await gateway.update(params.name, restoreUpdate, { actor, backupId: params.backupId }),
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/clusters/{name}/backups/{backupId}/restore-to-new-cluster',
      operationId: 'restoreBackupToNewCluster',
      tag: 'backups',
      summary: 'Restore a backup into a new cluster (any topology; disk at least the source’s)',
      description:
        "The same as `POST /v1/clusters` with `restoreFrom`; engine, version, mode and plan default to the source cluster's.",
      params: BackupParams,
      body: RestoreToNewClusterRequest,
      example: { name: 'orders-copy', mode: 'single' },
      responses: { 202: { description: 'deploy of the new cluster started', schema: OperationAccepted } },
      problems: [404, 409, 422, 504],
      handler: async ({ params, body, actor }) => {
        const source = await gateway.lastState(params.name);
        const mode = body.mode ?? source.spec.mode;
        const replicas =
          mode === 'primary-replica' ? (body.replicas ?? Math.max(1, source.spec.replicas)) : body.replicas;
        const ref = await createCluster(
          gateway,
          {
            name: body.name,
            engine: source.spec.engine,
            version: body.version ?? source.spec.version,
            mode,
            ...(replicas !== undefined ? { replicas } : {}),
            plan: body.plan ?? source.spec.plan,
            ...(body.allowlist ? { allowlist: body.allowlist } : {}),
            ...(body.settings ? { settings: body.settings } : {}),
            restoreFrom: { cluster: params.name, backupId: params.backupId },
          },
          actor,
        );
        return accepted(context, body.name, ref, { clusterUrl: clusterUrl(body.name) });
      },
    }),

    defineRoute({
      method: 'get',
      path: '/v1/clusters/{name}/schedules',
      operationId: 'listSchedules',
      tag: 'schedules',
      summary: 'Backup schedules (the default daily one and user schedules)',
      params: ClusterParams,
      responses: { 200: { description: 'schedules', schema: ScheduleList } },
      problems: CLUSTER_PROBLEMS,
      handler: async ({ params }) => ({
        status: 200,
        body: { schedules: (await gateway.state(params.name)).schedules },
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/clusters/{name}/schedules',
      operationId: 'createSchedule',
      tag: 'schedules',
      summary: 'Add a backup schedule (at most hourly) keeping its newest `keep` backups',
      params: ClusterParams,
      body: CreateScheduleRequest,
      example: { intervalMinutes: 360, keep: 8 },
      responses: { 201: { description: 'the schedule (a Temporal Schedule)', schema: BackupSchedule } },
      problems: UPDATE_PROBLEMS,
      handler: async ({ params, body, actor }) => {
        checkScheduleRequest(body);
        const schedule = await gateway.update(params.name, createScheduleUpdate, { actor, ...body });
        return {
          status: 201,
          headers: { Location: `/v1/clusters/${params.name}/schedules/${schedule.id}` },
          body: schedule,
        };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/clusters/{name}/schedules/{scheduleId}',
      operationId: 'deleteSchedule',
      tag: 'schedules',
      summary: 'Delete a user schedule (the default one can only be paused)',
      params: ScheduleParams,
      body: EmptyBody,
      bodyOptional: true,
      responses: { 204: { description: 'deleted' } },
      problems: UPDATE_PROBLEMS,
      handler: async ({ params, actor }) => {
        await gateway.update(params.name, deleteScheduleUpdate, { actor, scheduleId: params.scheduleId });
        return { status: 204 };
      },
    }),
    ...(['pause', 'resume'] as const).map((action) =>
      defineRoute({
        method: 'post',
        path: `/v1/clusters/{name}/schedules/{scheduleId}/${action}`,
        operationId: `${action}Schedule`,
        tag: 'schedules',
        summary: action === 'pause' ? 'Pause a schedule' : 'Resume a paused schedule',
        params: ScheduleParams,
        body: EmptyBody,
        bodyOptional: true,
        example: {},
        responses: { 200: { description: 'the schedule', schema: BackupSchedule } },
        problems: UPDATE_PROBLEMS,
        handler: async ({ params, actor }) => ({
          status: 200,
          body: await gateway.update(params.name, pauseScheduleUpdate, {
            actor,
            scheduleId: params.scheduleId,
            paused: action === 'pause',
          }),
        }),
      }),
    ),
    defineRoute({
      method: 'post',
      path: '/v1/clusters/{name}/schedules/{scheduleId}/trigger',
      operationId: 'triggerSchedule',
      tag: 'schedules',
      summary: 'Run a schedule now (its backup appears in the catalogue; busy clusters record it defunct)',
      params: ScheduleParams,
      body: EmptyBody,
      bodyOptional: true,
      example: {},
      responses: { 202: { description: 'triggered', schema: ScheduleTriggered } },
      problems: UPDATE_PROBLEMS,
      handler: async ({ params, actor }) => {
        await gateway.update(params.name, triggerScheduleUpdate, { actor, scheduleId: params.scheduleId });
        return {
          status: 202,
          body: { scheduleId: params.scheduleId, backupsUrl: `/v1/clusters/${params.name}/backups` },
        };
      },
    }),
  ];
}

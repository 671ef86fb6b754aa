/**
 * Migrations: the cluster starts a migration operation, which waits for the user at each step —
 * configure (source credentials), validate ("run check"), migrate — and may go back or be cancelled
 * before migrate. A migration is addressed by its number: `cluster:<name>:migration:<n>` is `…/migrations/<n>`.
 */
import type { UpdateDefinition } from '@temporalio/common';
import { migrateUpdate } from '../../workflows/cluster-api';
import {
  backMigrationUpdate,
  cancelMigrationUpdate,
  configureMigrationUpdate,
  migrationQuery,
  runMigrationUpdate,
  validateMigrationUpdate,
  type MigrationView,
} from '../../workflows/migration';
import { defineRoute, type AnyRoute } from '../route-kit';
import { ClusterParams, ConfigureMigrationRequest, EmptyBody, MigrationParams } from '../schemas';
import { MigrationAccepted, MigrationLog, MigrationView as MigrationViewSchema } from '../response-schemas';
import { accepted, CLUSTER_PROBLEMS, UPDATE_PROBLEMS, type RouteContext } from './context';

const migrationWorkflowId = (cluster: string, number: string) => `cluster:${cluster}:migration:${number}`;
const migrationUrl = (cluster: string, number: string) => `/v1/clusters/${cluster}/migrations/${number}`;

export function migrationRoutes(context: RouteContext): AnyRoute[] {
  const { gateway } = context;
  const withIds = (params: { name: string; migrationId: string }, view: MigrationView) => ({
    migrationId: params.migrationId,
    operationId: migrationWorkflowId(params.name, params.migrationId),
    ...view,
  });
  const view = (params: { name: string; migrationId: string }) =>
    gateway.bounded(() => gateway.workflow(migrationWorkflowId(params.name, params.migrationId)).query(migrationQuery));
  const step = (action: 'validate' | 'back' | 'cancel', update: UpdateDefinition<MigrationView, []>, summary: string) =>
    defineRoute({
      method: 'post',
      path: `/v1/clusters/{name}/migrations/{migrationId}/${action}`,
      operationId: `${action}Migration`,
      tag: 'migrations',
      summary,
      params: MigrationParams,
      body: EmptyBody,
      bodyOptional: true,
      example: {},
      responses: { 200: { description: 'the migration after the step', schema: MigrationViewSchema } },
      problems: UPDATE_PROBLEMS,
      handler: async ({ params }) => {
        const handle = gateway.workflow(migrationWorkflowId(params.name, params.migrationId));
        return { status: 200, body: withIds(params, await gateway.bounded(() => handle.executeUpdate(update))) };
      },
    });

  return [
    defineRoute({
      method: 'post',
      path: '/v1/clusters/{name}/migrations',
      operationId: 'startMigration',
      tag: 'migrations',
      summary: 'Start a migration from an external database (it then waits at the configure step)',
      params: ClusterParams,
      body: EmptyBody,
      bodyOptional: true,
      example: {},
      responses: { 202: { description: 'migration started', schema: MigrationAccepted } },
      problems: UPDATE_PROBLEMS,
      handler: async ({ params, actor }) => {
        const ref = await gateway.update(params.name, migrateUpdate, { actor });
        const number = ref.id.split(':').pop()!;
        return accepted(context, params.name, ref, {
          migrationId: number,
          migrationUrl: migrationUrl(params.name, number),
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/clusters/{name}/migrations/{migrationId}',
      operationId: 'getMigration',
      tag: 'migrations',
      summary: "A migration's step, engine guide, source (without password), check report and log",
      params: MigrationParams,
      responses: { 200: { description: 'the migration', schema: MigrationViewSchema } },
      problems: CLUSTER_PROBLEMS,
      handler: async ({ params }) => ({ status: 200, body: withIds(params, await view(params)) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/clusters/{name}/migrations/{migrationId}/logs',
      operationId: 'getMigrationLogs',
      tag: 'migrations',
      summary: "A migration's log (kept after it ends)",
      params: MigrationParams,
      responses: { 200: { description: 'log lines, oldest first', schema: MigrationLog } },
      problems: CLUSTER_PROBLEMS,
      handler: async ({ params }) => ({ status: 200, body: { log: (await view(params)).log } }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/clusters/{name}/migrations/{migrationId}/configure',
      operationId: 'configureMigration',
      tag: 'migrations',
      summary: 'Configure: the source to copy from (checked for reachability and size against free disk)',
      params: MigrationParams,
      body: ConfigureMigrationRequest,
      example: {
        source: { host: 'legacy-db.example.com', port: 5432, user: 'reader', password: 's3cret', database: 'shop' },
      },
      responses: { 200: { description: 'the migration, now at validate', schema: MigrationViewSchema } },
      problems: UPDATE_PROBLEMS,
      handler: async ({ params, body }) => {
        const handle = gateway.workflow(migrationWorkflowId(params.name, params.migrationId));
        const answer = await gateway.bounded(() => handle.executeUpdate(configureMigrationUpdate, { args: [body] }));
        return { status: 200, body: withIds(params, answer) };
      },
    }),
    step('validate', validateMigrationUpdate, 'Run check: connect to the source and report version, size and blockers'),
    defineRoute({
      method: 'post',
      path: '/v1/clusters/{name}/migrations/{migrationId}/migrate',
      operationId: 'runMigration',
      tag: 'migrations',
      summary: 'Migrate: pre-migration backup, copy the source into the primary, reset the replicas',
      description: 'The cluster refuses clients while its data is replaced. Poll the operation for progress.',
      params: MigrationParams,
      body: EmptyBody,
      bodyOptional: true,
      example: {},
      responses: { 202: { description: 'copy started', schema: MigrationAccepted } },
      problems: UPDATE_PROBLEMS,
      handler: async ({ params }) => {
        const operationId = migrationWorkflowId(params.name, params.migrationId);
        const handle = gateway.workflow(operationId);
        const answer = await gateway.bounded(() => handle.executeUpdate(runMigrationUpdate));
        return {
          status: 202,
          headers: { Location: `/v1/operations/${operationId}` },
          body: {
            operationId,
            operationUrl: `/v1/operations/${operationId}`,
            type: 'migration',
            cluster: params.name,
            migrationId: params.migrationId,
            migrationUrl: migrationUrl(params.name, params.migrationId),
            step: answer.step,
          },
        };
      },
    }),
    step('back', backMigrationUpdate, 'Go back one step (before migrate)'),
    step('cancel', cancelMigrationUpdate, 'Cancel the migration (before migrate); nothing was copied'),
  ];
}

/**
 * Migration (SPEC §3.10): three steps the user walks through, the workflow waiting for each as an
 * Update on this workflow: configure (the engine's guide; the source's size against the target's
 * free disk), validate ("run check": version, size, blockers), migrate (pre-migration backup, copy
 * the source into the primary, reset every replica from a fresh backup). The user may go back or
 * cancel before migrate; the cluster refuses clients during the copy. Logs stay queryable.
 */
import { condition, defineQuery, defineUpdate, setHandler } from '@temporalio/workflow';
import type { SourceCheckReport } from '../activities/contract';
import { refuse } from './errors';
import {
  acts,
  completedBackup,
  longActs,
  type OperationOutcome,
  primaryOf,
  targetOf,
  trackProgress,
} from './operation';
import type { MigrationParams, OperationInput } from './operation-params';
import { seedReplica } from './replicas';
import type { Engine, ExternalSourceInput, NodeInfo } from './types';

export type MigrationStep = 'configure' | 'validate' | 'migrate' | 'migrating' | 'done' | 'cancelled';

export interface MigrationView {
  step: MigrationStep;
  guide: string;
  source?: Omit<ExternalSourceInput, 'password'>;
  sourceSizeBytes?: number;
  targetFreeBytes?: number;
  report?: SourceCheckReport;
  log: string[];
}

export const migrationQuery = defineQuery<MigrationView>('migration');
export const configureMigrationUpdate = defineUpdate<MigrationView, [{ source: ExternalSourceInput }]>('configure');
export const validateMigrationUpdate = defineUpdate<MigrationView, []>('validate');
export const runMigrationUpdate = defineUpdate<MigrationView, []>('migrate');
export const backMigrationUpdate = defineUpdate<MigrationView, []>('back');
export const cancelMigrationUpdate = defineUpdate<MigrationView, []>('cancel');

/** A migration nobody moves forward for this long is cancelled. */
const USER_WAIT_MS = 7 * 24 * 3600 * 1000;
/** An allowlist that admits nobody: clients are refused while data is replaced. */
const NOBODY = ['192.0.2.255/32'];

const GUIDES: Record<Engine, string> = {
  mysql:
    'MySQL/MariaDB: give a user with SELECT, SHOW VIEW, TRIGGER and LOCK TABLES on the source database; InnoDB tables only.',
  postgresql: 'PostgreSQL: give a user that can read every table of the source database (pg_dump runs as that user).',
  timescaledb: 'TimescaleDB: as PostgreSQL; the timescaledb extension must exist on both sides.',
  hydra: 'Hydra: as PostgreSQL; the columnar extension must exist on both sides.',
  redis: 'Redis: give the source address and a password if it has one; database is the index to copy (default 0).',
  keydb: 'KeyDB: as Redis.',
  valkey: 'Valkey: as Redis.',
};

export async function migrationWorkflow({
  context,
  params,
}: OperationInput<MigrationParams>): Promise<OperationOutcome> {
  const progress = trackProgress(context, 6);
  const primary = primaryOf(context.nodes)!;
  const target = (node: NodeInfo) => targetOf(context, node);
  const view: MigrationView = { step: 'configure', guide: GUIDES[context.spec.engine], log: progress.current.log! };
  let source: ExternalSourceInput | undefined;
  const log = (line: string) => progress.log(`${new Date().toISOString()} ${line}`);
  const expectStep = (...steps: MigrationStep[]) => {
    if (!steps.includes(view.step))
      throw refuse('PreconditionFailedError', `the migration is at step ${view.step}, not ${steps.join(' or ')}`);
  };

  setHandler(migrationQuery, () => view);
  setHandler(
    configureMigrationUpdate,
    async ({ source: candidate }) => {
      const report = await acts.checkSource(context.spec.engine, context.spec.version, candidate);
      const free = await acts.freeDiskBytes(primary.name);
      view.sourceSizeBytes = report.sizeBytes;
      view.targetFreeBytes = free;
      if (report.sizeBytes > free) {
        log(`configure refused: source is ${report.sizeBytes} bytes, target has ${free} free`);
        throw refuse(
          'PreconditionFailedError',
          `the source needs ${report.sizeBytes} bytes but ${primary.name} has only ${free} free; add disk first`,
        );
      }
      source = candidate;
      view.source = { host: candidate.host, port: candidate.port, user: candidate.user, database: candidate.database };
      view.step = 'validate';
      log(`configured source ${candidate.user || 'default'}@${candidate.host}:${candidate.port}`);
      return view;
    },
    {
      validator: ({ source: candidate }) => {
        expectStep('configure');
        checkSourceInput(candidate, context.spec.engine);
      },
    },
  );
  setHandler(
    validateMigrationUpdate,
    async () => {
      const report = await acts.checkSource(context.spec.engine, context.spec.version, source!);
      view.report = report;
      log(
        `check: version ${report.version}, ${report.sizeBytes} bytes, ${report.blockers.length} blocker(s), ${report.warnings.length} warning(s)`,
      );
      for (const blocker of report.blockers) log(`blocker: ${blocker}`);
      for (const warning of report.warnings) log(`warning: ${warning}`);
      if (report.blockers.length === 0) view.step = 'migrate';
      return view;
    },
    { validator: () => expectStep('validate') },
  );
  setHandler(
    runMigrationUpdate,
    () => {
      view.step = 'migrating';
      return view;
    },
    { validator: () => expectStep('migrate') },
  );
  setHandler(
    backMigrationUpdate,
    () => {
      view.step = view.step === 'migrate' ? 'validate' : 'configure';
      log(`went back to ${view.step}`);
      return view;
    },
    { validator: () => expectStep('validate', 'migrate') },
  );
  setHandler(
    cancelMigrationUpdate,
    () => {
      view.step = 'cancelled';
      log('cancelled by the user');
      return view;
    },
    { validator: () => expectStep('configure', 'validate', 'migrate') },
  );

  progress.step('configure');
  const decided = await condition(() => view.step === 'migrating' || view.step === 'cancelled', USER_WAIT_MS);
  if (!decided) {
    view.step = 'cancelled';
    log('cancelled: nobody continued the migration for 7 days');
  }
  if (view.step === 'cancelled') return { summary: 'migration cancelled before any data was copied' };

  progress.step('pre-migration backup');
  const backup = await longActs.takeBackup(target(primary), params.preMigrationBackup.key);
  log(`pre-migration backup ${params.preMigrationBackup.id}: ${backup.sizeBytes} bytes`);
  const names = context.nodes.map((n) => n.name);
  try {
    progress.step('refuse clients while the data is replaced');
    await acts.applyAllowlist(names, NOBODY);
    progress.step(`copy the source into ${primary.name}`);
    const copied = await longActs.copyFromSource(target(primary), source!);
    log(`copied ${copied.copied} ${copied.unit} in ${copied.durationMs} ms`);
    progress.step('reset every replica from a fresh backup');
    for (const node of context.nodes.filter((n) => n.role === 'replica')) {
      await acts.stopNode(target(node));
      await acts.eraseNode(target(node));
      await seedReplica(context, node, primary, `${context.spec.name}/migration-seed-${node.number}`);
      log(`replica ${node.name} reset`);
    }
  } finally {
    await acts.applyAllowlist(names, context.allowlist);
  }
  view.step = 'done';
  progress.step('done');
  log('migration complete');
  return {
    summary: `migrated ${source!.host}:${source!.port} into ${context.spec.name}`,
    backupsAdded: [completedBackup(params.preMigrationBackup, backup, primary.name)],
  };
}

/** A Redis without ACL users is reached as its `default` user: the source may name no user. */
const ENGINES_WITH_DEFAULT_USER: readonly Engine[] = ['redis', 'keydb', 'valkey'];

function checkSourceInput(source: ExternalSourceInput | undefined, engine: Engine): void {
  if (!source || typeof source !== 'object') throw refuse('InvalidRequestError', 'source is required');
  if (typeof source.host !== 'string' || !/^[A-Za-z0-9.:-]{1,253}$/.test(source.host)) {
    throw refuse('InvalidRequestError', `source.host ${JSON.stringify(source.host)} is not a host name or address`);
  }
  if (!Number.isInteger(source.port) || source.port < 1 || source.port > 65535) {
    throw refuse(
      'InvalidRequestError',
      `source.port ${JSON.stringify(source.port)} must be a port number from 1 to 65535`,
    );
  }
  if (typeof source.user !== 'string') throw refuse('InvalidRequestError', 'source.user must be a string');
  if (source.user.length === 0 && !ENGINES_WITH_DEFAULT_USER.includes(engine)) {
    throw refuse('InvalidRequestError', `source.user is required for ${engine} sources`);
  }
  if (typeof source.password !== 'string') throw refuse('InvalidRequestError', 'source.password must be a string');
  if (source.database !== undefined && (typeof source.database !== 'string' || source.database.length > 63)) {
    throw refuse('InvalidRequestError', 'source.database must be a name of at most 63 characters');
  }
}

/**
 * The cluster entity workflow (`cluster:<name>`). It owns the cluster's state and is its lock:
 * every user action is an Update whose validator refuses bad input before anything is recorded,
 * and each operation runs as a child workflow, one at a time. It continues as new before its
 * history grows large.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  setHandler,
  upsertSearchAttributes,
  uuid4,
} from '@temporalio/workflow';
import {
  type ClusterInput,
  addNodeUpdate,
  backupUpdate,
  credentialsQuery,
  createScheduleUpdate,
  deleteBackupUpdate,
  deleteClusterUpdate,
  deleteScheduleUpdate,
  migrateUpdate,
  operationQuery,
  pauseScheduleUpdate,
  primaryFailedSignal,
  promoteUpdate,
  removeNodeUpdate,
  restoreUpdate,
  resyncUpdate,
  scheduledBackupSignal,
  setAllowlistUpdate,
  stateQuery,
  triggerScheduleUpdate,
  updateSettingsUpdate,
} from './cluster-api';
import { applySettingsPatch, checkAllowlist, checkConfirm, checkPlan, checkScheduleRequest } from './cluster-rules';
import { refuse } from './errors';
import { ClusterOperations } from './cluster-operations';
import { defaultSchedule } from './schedules';
import { DEFAULT_SETTINGS, type ClusterState, type ClusterView, type Credentials } from './types';

/** Continue as new once history passes this many events (well below the server's limits). */
const CONTINUE_AS_NEW_EVENTS = 4000;

export async function clusterWorkflow(input: ClusterInput): Promise<ClusterView> {
  const { state, credentials } = input.carried ?? initial(input);
  const ops = new ClusterOperations(state, credentials);

  setHandler(stateQuery, () => view(state));
  setHandler(operationQuery, () => state.operation ?? null);
  setHandler(credentialsQuery, () => credentials);

  setHandler(addNodeUpdate, ({ actor, plan }) => ops.addNode(actor, plan ?? state.spec.plan), {
    validator: ({ plan }) => {
      ops.assertIdle();
      if (plan) checkPlan(plan);
      if (state.spec.mode === 'multi-master')
        throw refuse(
          'UnsupportedOperationError',
          'a multi-master cluster has exactly two primaries; nodes cannot be added',
        );
    },
  });
  setHandler(removeNodeUpdate, ({ actor, node }) => ops.removeNode(actor, node), {
    validator: ({ node, confirm, allowSinglePrimary }) => {
      ops.assertIdle();
      const target = ops.node(node);
      checkConfirm(confirm, target.name, 'node');
      const primaries = state.nodes.filter((n) => n.role === 'primary');
      if (state.spec.mode === 'multi-master') {
        if (!allowSinglePrimary) {
          throw refuse(
            'PrimaryRemovalError',
            `removing ${node} would leave the multi-master cluster with one primary; set allowSinglePrimary to proceed`,
          );
        }
      } else if (target.role === 'primary') {
        throw refuse('PrimaryRemovalError', `node ${node} is the primary; promote another node first`);
      }
      if (state.nodes.length === 1 || primaries.length === 0)
        throw refuse('PrimaryRemovalError', `node ${node} is the cluster's last node`);
    },
  });
  setHandler(promoteUpdate, ({ actor, node }) => ops.promote(actor, node, false), {
    validator: ({ node, confirm }) => {
      ops.assertIdle();
      const target = ops.node(node);
      checkConfirm(confirm, target.name, 'node');
      if (target.role === 'primary') throw refuse('PreconditionFailedError', `node ${node} is already the primary`);
    },
  });
  setHandler(resyncUpdate, ({ actor }) => ops.resync(actor), {
    validator: (_request) => {
      ops.assertIdle();
      if (!state.nodes.some((n) => n.role === 'replica'))
        throw refuse('PreconditionFailedError', 'resync needs a cluster with replicas');
    },
  });
  setHandler(backupUpdate, ({ actor, label }) => ops.backup(actor, 'manual', label), {
    validator: ({ label }) => {
      ops.assertIdle();
      if (label !== undefined && (typeof label !== 'string' || label.length > 200)) {
        throw refuse('InvalidRequestError', 'label must be a string of at most 200 characters');
      }
    },
  });
  setHandler(deleteBackupUpdate, ({ actor, backupId }) => ops.deleteBackup(actor, backupId), {
    validator: ({ backupId }) => {
      const backup = ops.backupEntry(backupId);
      if (backup.status === 'running') throw refuse('ClusterBusyError', `backup ${backupId} is still running`);
      if (ops.inUse(backupId))
        throw refuse('ClusterBusyError', `backup ${backupId} is being used by ${state.operation?.type}`);
    },
  });
  setHandler(restoreUpdate, ({ actor, backupId }) => ops.restore(actor, backupId), {
    validator: ({ backupId }) => {
      ops.assertIdle();
      const backup = ops.backupEntry(backupId);
      if (backup.status !== 'completed')
        throw refuse('PreconditionFailedError', `backup ${backupId} is ${backup.status} and cannot be restored`);
    },
  });
  setHandler(migrateUpdate, ({ actor }) => ops.migrate(actor), { validator: (_request) => ops.assertIdle() });
  setHandler(setAllowlistUpdate, ({ actor, allowlist }) => ops.setAllowlist(actor, checkAllowlist(allowlist)), {
    validator: ({ allowlist }) => {
      ops.assertIdle();
      checkAllowlist(allowlist);
    },
  });
  setHandler(
    updateSettingsUpdate,
    async ({ actor, settings }) => {
      state.settings = applySettingsPatch(state.settings, settings);
      ops.audit(actor, 'update-settings', state.spec.name, 'changed', JSON.stringify(settings));
      await ops.applySettings();
      return view(state);
    },
    { validator: ({ settings }) => void applySettingsPatch(state.settings, settings) },
  );
  setHandler(createScheduleUpdate, (request) => ops.book.createSchedule(request.actor, request), {
    validator: (request) => {
      ops.assertAlive();
      checkScheduleRequest(request);
    },
  });
  setHandler(deleteScheduleUpdate, ({ actor, scheduleId }) => ops.book.deleteSchedule(actor, scheduleId), {
    validator: ({ scheduleId }) => {
      if (ops.schedule(scheduleId).kind === 'default')
        throw refuse('PreconditionFailedError', 'the default daily schedule cannot be deleted; pause it instead');
    },
  });
  setHandler(
    pauseScheduleUpdate,
    ({ actor, scheduleId, paused }) => ops.book.pauseSchedule(actor, scheduleId, paused),
    {
      validator: ({ scheduleId, paused }) => {
        ops.schedule(scheduleId);
        if (typeof paused !== 'boolean') throw refuse('InvalidRequestError', 'paused must be true or false');
      },
    },
  );
  setHandler(triggerScheduleUpdate, ({ actor, scheduleId }) => ops.book.triggerSchedule(actor, scheduleId), {
    validator: ({ scheduleId }) => void ops.schedule(scheduleId),
  });
  setHandler(deleteClusterUpdate, ({ actor, skipFinalBackup }) => ops.deleteCluster(actor, skipFinalBackup ?? false), {
    validator: ({ confirm }) => {
      ops.assertIdle({ allowFailed: true });
      checkConfirm(confirm, state.spec.name, 'cluster');
      if (state.settings.terminationProtection) {
        throw refuse(
          'TerminationProtectedError',
          `cluster ${state.spec.name} has termination protection on; turn it off before deleting`,
        );
      }
    },
  });
  setHandler(scheduledBackupSignal, ({ scheduleId }) => ops.scheduledBackup(scheduleId));
  setHandler(primaryFailedSignal, ({ candidate, reason }) => ops.autoFailover(candidate, reason));

  upsertSearchAttributes({ ClusterName: [state.spec.name], ClusterEngine: [state.spec.engine] });
  if (!input.carried) {
    ops.audit(
      input.actor,
      'create',
      state.spec.name,
      'started',
      `${state.spec.engine} ${state.spec.version} ${state.spec.mode}`,
    );
    await ops.deploy(input.actor, input.restoreFrom);
  } else {
    ops.resumeMonitor();
  }

  // Each wake-up makes progress (or the loop would spin without yielding to the server).
  const deleted = () => state.status === 'deleted' && !state.operation;
  const mayContinueAsNew = () =>
    ops.wantsContinueAsNew(CONTINUE_AS_NEW_EVENTS) && !state.operation && allHandlersFinished() && ops.isQuiet();
  for (;;) {
    const expiry = ops.book.nextExpiry();
    const wake = () => deleted() || mayContinueAsNew() || ops.book.expiredDue();
    if (expiry === undefined) await condition(wake);
    else await condition(wake, Math.max(1, expiry - Date.now()));
    if (deleted()) break;
    if (ops.book.expiredDue()) await ops.book.deleteExpired();
    if (mayContinueAsNew()) {
      await ops.stopMonitor();
      await continueAsNew<typeof clusterWorkflow>({
        ...input,
        restoreFrom: undefined,
        carried: { state, credentials },
      });
    }
  }
  await ops.finishDeletion();
  await condition(allHandlersFinished);
  await ops.settled();
  return view(state);
}

function initial(input: ClusterInput): { state: ClusterState; credentials: Credentials } {
  const now = new Date().toISOString();
  const state: ClusterState = {
    spec: input.spec,
    status: 'deploying',
    createdAt: now,
    nodes: [],
    nextNodeNumber: 1,
    allowlist: checkAllowlist(input.allowlist ?? []),
    settings: {
      ...DEFAULT_SETTINGS,
      ...input.settings,
      notifications: { ...DEFAULT_SETTINGS.notifications, ...input.settings?.notifications },
    },
    backups: [],
    schedules: [defaultSchedule(input.spec.name, now)],
    audit: [],
    history: [],
    operationCounter: 0,
  };
  const secret = () => uuid4().replace(/-/g, '');
  const credentials: Credentials = {
    adminUser: 'dbco_admin',
    adminPassword: secret(),
    replicationUser: 'dbco_repl',
    replicationPassword: secret(),
  };
  // The application owner the credentials route hands out. Guarded: clusters started before owners
  // existed replay without it (issue 9 moves generating passwords into an activity).
  if (patched('application-owner')) Object.assign(credentials, { ownerUser: 'owner', ownerPassword: secret() });
  return { state, credentials };
}

/** The state as queries return it (credentials never leave the workflow this way). */
function view(state: ClusterState): ClusterView {
  return state;
}

/**
 * The activities: `createActivities(deps)` implements `ClusterActivities` (./contract.ts) over
 * injected dependencies, so tests and other deployments swap one without module mocking. Every
 * activity is idempotent, and every error leaves through `failures.ts` as an ApplicationFailure.
 */
import { Context } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { UnsupportedOperationError } from '../engines/errors';
import type { BackupStore, CopyProgress } from '../engines/types';
import type { VmProvider } from '../vm/types';
import type { AuditLog } from './audit-log';
import type { ClusterActivities, NodeTarget } from './contract';
import { hasReplicaSlots, type ActivityLogger, type EngineRegistry } from './engine-registry';
import { IncompleteBackupError } from './errors';
import { withFailureMapping } from './failures';
import { abortableStore, whileHeartbeating, withHeartbeats } from './heartbeat';
import { engineNodeOf, healthReport, provisionedNodeInfo } from './node-target';
import type { Notifier } from './notifier';
import type { ScheduleGateway } from './schedules';

export interface ActivityDeps {
  /** Built by `createEngineRegistry({ supervisor })`. */
  engines: EngineRegistry;
  vm: VmProvider;
  /** `LocalBackupStore` by default. */
  backups: BackupStore;
  notifier: Notifier;
  audit: AuditLog;
  schedules: ScheduleGateway;
  /** Receives one line per failed activity (never with arguments: they hold credentials). */
  logger?: ActivityLogger;
}

export function createActivities(deps: ActivityDeps): ClusterActivities {
  const { engines, vm, backups } = deps;
  const driverOf = (target: NodeTarget) => engines(target.engine);

  const activities: ClusterActivities = {
    async checkEngineAvailable(engine, version) {
      await engines(engine).checkAvailable(version);
    },

    async provisionNode(request) {
      return provisionedNodeInfo(await vm.provision(request));
    },
    async deprovisionNode(node) {
      await vm.deprovision(node);
    },
    async applyAllowlist(nodes, allowlist) {
      for (const node of nodes) await vm.setAllowlist(node, allowlist);
    },
    async isolateNode(node) {
      await vm.setIsolation(node, true);
    },
    async reconnectNode(node) {
      await vm.setIsolation(node, false);
    },
    async pointEndpoint(cluster, target) {
      return vm.setEndpoint(cluster, { host: target.host, port: target.port });
    },
    async removeEndpoint(cluster) {
      await vm.removeEndpoint(cluster);
    },
    async freeDiskBytes(node) {
      return vm.freeDiskBytes(node);
    },

    /** Initialises the engine's files and starts it: the node is ready for `configurePrimary` after. */
    async initialiseNode(target) {
      const node = engineNodeOf(target);
      await driverOf(target).initialise(node);
      await driverOf(target).start(node);
    },
    async startNode(target) {
      await driverOf(target).start(engineNodeOf(target));
    },
    async stopNode(target) {
      await driverOf(target).stop(engineNodeOf(target));
    },
    async nodeHealth(target) {
      return healthReport(target.node.name, await driverOf(target).health(engineNodeOf(target)));
    },
    async configurePrimary(target) {
      await driverOf(target).configureAsPrimary(engineNodeOf(target));
    },
    async ensureOwner(target) {
      await driverOf(target).ensureOwner(engineNodeOf(target));
    },
    async configureReplica(target, primary) {
      await driverOf(target).configureAsReplica(engineNodeOf(target), engineNodeOf(primary));
    },
    async configureMultiMaster(a, b) {
      const driver = driverOf(a);
      if (driver.configureMultiMaster === undefined || !driver.capabilities.multiMaster) {
        throw new UnsupportedOperationError(
          `${a.engine} cannot run two primaries replicating to each other; choose mysql or keydb for multi-master`,
        );
      }
      await driver.configureMultiMaster(engineNodeOf(a), engineNodeOf(b));
    },
    async fenceNode(target) {
      return driverOf(target).fence(engineNodeOf(target));
    },
    async waitForPosition(target, position, timeoutMs) {
      await driverOf(target).waitForPosition(engineNodeOf(target), position, timeoutMs);
    },
    async promoteNode(target) {
      await driverOf(target).promote(engineNodeOf(target));
    },
    async eraseNode(target) {
      await driverOf(target).erase(engineNodeOf(target));
    },
    async forgetReplica(primary, replicaName) {
      const driver = driverOf(primary);
      if (hasReplicaSlots(driver)) await driver.dropReplicaSlot(engineNodeOf(primary), replicaName);
    },

    async takeBackup(target, key) {
      const artifact = await whileHeartbeating((signal) =>
        driverOf(target).backup(engineNodeOf(target), abortableStore(backups, signal), key),
      );
      return {
        key: artifact.key,
        location: artifact.location,
        sizeBytes: artifact.sizeBytes,
        sha256: artifact.sha256,
        ...(artifact.position !== undefined ? { position: artifact.position } : {}),
      };
    },
    async restoreBackup(target, backup) {
      const artifact = {
        ...storedObjectOf(backup),
        engine: target.engine,
        ...(backup.position !== undefined ? { position: backup.position } : {}),
      };
      await whileHeartbeating((signal) =>
        driverOf(target).restore(engineNodeOf(target), abortableStore(backups, signal), artifact),
      );
    },
    async verifyBackup(backup) {
      await backups.verify(storedObjectOf(backup));
    },
    async deleteBackup(key) {
      await backups.delete(key);
    },
    // The drivers judge a source against the newest server installed here, so the version is not needed.
    async checkSource(engine, _version, source) {
      const report = await engines(engine).checkSource(source);
      return {
        version: report.version,
        sizeBytes: report.sizeBytes,
        blockers: report.blockers,
        warnings: report.warnings,
      };
    },
    /**
     * Heartbeats the latest CopyProgress as details. The drivers cannot abort a copy half-way, so a
     * cancelled copy runs to its end (it replaces rather than duplicates, so it is safe to run again).
     */
    async copyFromSource(target, source) {
      let progress: CopyProgress | undefined;
      const report = await whileHeartbeating(
        (_signal, progressed) =>
          driverOf(target).copyFrom(source, engineNodeOf(target), (p) => {
            progress = p;
            progressed();
          }),
        () => progress,
      );
      return { copied: report.copied, unit: report.unit, durationMs: report.durationMs };
    },

    async upsertBackupSchedule(request) {
      await deps.schedules.upsert(request);
    },
    async deleteBackupSchedule(cluster, scheduleId) {
      await deps.schedules.delete(cluster, scheduleId);
    },
    async triggerBackupSchedule(cluster, scheduleId) {
      await deps.schedules.trigger(cluster, scheduleId, requestIdOfThisActivity());
    },

    async notify(event) {
      await deps.notifier.notify(event);
    },
    async recordAudit(cluster, entries) {
      await deps.audit.append(cluster, entries);
    },
  };

  return withHeartbeats(withFailureMapping(activities, deps.logger));
}

/** What the store needs to find and check a backup; a backup that never completed has no size or checksum. */
function storedObjectOf(backup: { key: string; sizeBytes?: number; sha256?: string }) {
  if (backup.sizeBytes === undefined || backup.sha256 === undefined) {
    throw new IncompleteBackupError(
      `backup ${backup.key} has no recorded size or checksum (it never completed); choose a completed backup`,
    );
  }
  // The store finds objects by key; the location is only for people to read.
  return { key: backup.key, location: backup.key, sizeBytes: backup.sizeBytes, sha256: backup.sha256 };
}

/** The same for every attempt of one activity execution, different for every other execution. */
function requestIdOfThisActivity(): string {
  const info = Context.current().info;
  // Activities started by a workflow are named by it; standalone ones have their own run id.
  const execution = info.workflowExecution
    ? `${info.workflowExecution.workflowId}\n${info.workflowExecution.runId}`
    : (info.activityRunId ?? '');
  return createHash('sha256').update(`${execution}\n${info.activityId}`).digest('hex').slice(0, 32);
}

export { createEngineRegistry, type ActivityLogger, type EngineRegistry } from './engine-registry';
export { createNotifier, type Notifier, type NotifierOptions } from './notifier';
export { JsonlAuditLog, type AuditLog, type AuditReadOptions, type AuditRecord } from './audit-log';
export { TemporalScheduleGateway, backupScheduleId, type ScheduleGateway } from './schedules';
export { createDefaultDeps, type DefaultDeps } from './default-deps';
export { readActivitiesConfig, type ActivitiesConfig } from './config';
export type { ClusterActivities } from './contract';

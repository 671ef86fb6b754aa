/**
 * The product's dependencies: the local VM provider in `<dataDir>/vm`, backups in
 * `<dataDir>/backups`, audit logs in `<dataDir>/audit`, the notifier from the SMTP settings, and
 * Temporal Schedules through the given client.
 */
import type { Client } from '@temporalio/client';
import path from 'node:path';
import { LocalBackupStore } from '../engines/local-backup-store';
import { LocalVmProvider } from '../vm/local';
import { JsonlAuditLog } from './audit-log';
import type { ActivitiesConfig } from './config';
import { createEngineRegistry, type ActivityLogger } from './engine-registry';
import type { ActivityDeps } from './index';
import { createNotifier } from './notifier';
import { TemporalScheduleGateway } from './schedules';

export interface DefaultDeps extends ActivityDeps {
  vm: LocalVmProvider;
  /**
   * Releases what the dependencies hold (mail connections, process supervision) without stopping
   * any node: nodes run on like VMs, and the next worker adopts them.
   */
  close(): Promise<void>;
}

export async function createDefaultDeps(
  config: ActivitiesConfig,
  services: { temporalClient: Client; logger?: ActivityLogger },
): Promise<DefaultDeps> {
  const logger = services.logger ?? logToStderr;
  const vm = new LocalVmProvider({
    baseDir: path.join(config.dataDir, 'vm'),
    host: config.vmHost,
    ...(config.vmPortRange ? { portRange: config.vmPortRange } : {}),
    logger: (message, fields) => logger(message, { source: 'vm', ...fields }),
  });
  try {
    // Re-adopt the nodes and endpoints a previous worker left running.
    await vm.resume();
  } catch (err) {
    // One node that cannot come back must not keep the worker (and every other cluster) down.
    logger('some nodes could not be resumed; their operations will retry', { error: (err as Error).message });
  }
  const notifier = createNotifier({
    smtpUrl: config.smtpUrl,
    smtpFrom: config.smtpFrom,
    smtpTimeoutMs: config.smtpTimeoutMs,
    webhookTimeoutMs: config.webhookTimeoutMs,
    logger,
  });
  return {
    engines: createEngineRegistry({ supervisor: vm.supervisor, logger }),
    vm,
    backups: new LocalBackupStore(path.join(config.dataDir, 'backups')),
    notifier,
    audit: new JsonlAuditLog(path.join(config.dataDir, 'audit')),
    schedules: new TemporalScheduleGateway(services.temporalClient.schedule),
    logger,
    async close() {
      notifier.close();
      await vm.detach();
    },
  };
}

function logToStderr(message: string, fields: object = {}): void {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), source: 'activities', msg: message, ...fields })}\n`,
  );
}

/**
 * The MySQL/MariaDB engine driver: GTID replication, physical backups with mariadb-backup, migration
 * with mariadb-dump. The server process runs through the VM provider's supervisor; one-shot tools run
 * as children of the orchestrator.
 */
import type { ProcessSupervisor } from '../../vm/types';
import type {
  BackupArtifact,
  BackupStore,
  CopyProgress,
  CopyReport,
  EngineCapabilities,
  EngineDriver,
  EngineNode,
  ExternalSource,
  NodeHealth,
  ReplicationPosition,
  SourceReport,
} from '../types';
import * as backups from './backup';
import { Binaries, checkVersionAvailable } from './binaries';
import { lazyServerUser, statfsFreeBytes, type DriverContext, type DriverLogger } from './context';
import { health } from './health';
import * as lifecycle from './lifecycle';
import { ensureOwner } from './owner';
import * as replication from './replication';
import * as sources from './source';
import { DEFAULT_BINARY_DIRS } from './tools';

export interface MysqlDriverOptions {
  supervisor: ProcessSupervisor;
  /** Free bytes on the disk holding `path`; defaults to fs.statfs. Tests inject small values. */
  freeDiskBytes?: (path: string) => Promise<number>;
  logger?: DriverLogger;
  /** Extra directories to look for the server binaries in (besides PATH). */
  binaryDirs?: readonly string[];
  /** OS user the server runs as when the orchestrator runs as root (default `mysql`). */
  serverUser?: string;
  /** How long `start` waits for the server to accept connections (default 120 s). */
  startTimeoutMs?: number;
  /** How long `stop` lets the server shut down cleanly before killing it (default 60 s). */
  stopGraceMs?: number;
}

class MysqlDriver implements EngineDriver {
  readonly engine = 'mysql' as const;
  readonly capabilities: EngineCapabilities = { multiMaster: true };

  constructor(private readonly context: DriverContext) {}

  checkAvailable(version: string): Promise<void> {
    return checkVersionAvailable(this.context.binaries, version);
  }

  async initialise(node: EngineNode): Promise<void> {
    await this.checkAvailable(node.version);
    await lifecycle.initialise(this.context, node);
  }

  start(node: EngineNode): Promise<void> {
    return lifecycle.start(this.context, node);
  }

  stop(node: EngineNode): Promise<void> {
    return lifecycle.stop(this.context, node);
  }

  health(node: EngineNode): Promise<NodeHealth> {
    return health(this.context, node);
  }

  async configureAsPrimary(node: EngineNode): Promise<void> {
    await replication.configureAsPrimary(this.context, node);
    if (node.credentials.ownerUser) await ensureOwner(this.context, node);
  }

  ensureOwner(node: EngineNode): Promise<void> {
    return ensureOwner(this.context, node);
  }

  configureAsReplica(node: EngineNode, primary: EngineNode): Promise<void> {
    return replication.configureAsReplica(this.context, node, primary);
  }

  fence(node: EngineNode): Promise<ReplicationPosition> {
    return replication.fence(this.context, node);
  }

  waitForPosition(node: EngineNode, position: ReplicationPosition, timeoutMs: number): Promise<void> {
    return replication.waitForPosition(node, position, timeoutMs);
  }

  promote(node: EngineNode): Promise<void> {
    return replication.promote(this.context, node);
  }

  erase(node: EngineNode): Promise<void> {
    return lifecycle.erase(this.context, node);
  }

  backup(node: EngineNode, store: BackupStore, key: string): Promise<BackupArtifact> {
    return backups.backup(this.context, node, store, key);
  }

  restore(node: EngineNode, store: BackupStore, artifact: BackupArtifact): Promise<void> {
    return backups.restore(this.context, node, store, artifact);
  }

  checkSource(source: ExternalSource, timeoutMs?: number): Promise<SourceReport> {
    return sources.checkSource(this.context, source, timeoutMs);
  }

  copyFrom(source: ExternalSource, node: EngineNode, onProgress?: (p: CopyProgress) => void): Promise<CopyReport> {
    return sources.copyFrom(this.context, source, node, onProgress);
  }

  configureMultiMaster(a: EngineNode, b: EngineNode): Promise<void> {
    return replication.configureMultiMaster(this.context, a, b);
  }
}

export function createMysqlDriver(options: MysqlDriverOptions): EngineDriver {
  return new MysqlDriver({
    supervisor: options.supervisor,
    binaries: new Binaries(options.binaryDirs ?? DEFAULT_BINARY_DIRS),
    freeDiskBytes: options.freeDiskBytes ?? statfsFreeBytes,
    log: options.logger ?? (() => undefined),
    startTimeoutMs: options.startTimeoutMs ?? 120_000,
    stopGraceMs: options.stopGraceMs ?? 60_000,
    serverUser: lazyServerUser(options.serverUser ?? 'mysql'),
  });
}

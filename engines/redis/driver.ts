/**
 * The Redis driver, also serving KeyDB and Valkey: `createRedisDriver({ supervisor, flavour })`.
 */
import { EngineUnavailableError } from '../errors';
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
} from '../types';
import type { ProcessSupervisor } from '../../vm/types';
import { backupNode, restoreNode } from './backup';
import { ensureOwnerUser } from './acl';
import { statfsFreeBytes, withAdmin, withOwner, type DriverContext, type DriverLogger } from './context';
import {
  FLAVOURS,
  VERSION_PATTERN,
  readServerVersion,
  resolveBinary,
  versionMatches,
  type RedisFlavour,
} from './flavours';
import { nodeHealth } from './health';
import { LagClock } from './lag-clock';
import type { ServerUser } from '../server-user';
import { resolveServerUser } from './os-user';
import { eraseNode, initialiseNode, startNode, stopNode } from './lifecycle';
import * as replication from './replication';
import {
  DEFAULT_SOURCE_TIMEOUT_MS,
  checkSource,
  copyKeys,
  rdbFormatOf,
  type RedisSourceReport,
  type TargetFacts,
} from './source';

export interface RedisDriverOptions {
  supervisor: ProcessSupervisor;
  /** Which server to run; defaults to redis. */
  flavour?: RedisFlavour;
  /** Server binary; defaults to $REDIS_SERVER_BIN / $KEYDB_SERVER_BIN / $VALKEY_SERVER_BIN, then the PATH. */
  binary?: string;
  /** Free bytes on the filesystem holding `path`; defaults to statfs (tests inject small values). */
  freeDiskBytes?: (path: string) => Promise<number>;
  logger?: DriverLogger;
  /** How long `start` waits for the server to load its data and answer (default 120 s). */
  startTimeoutMs?: number;
  /** How long `stop` lets the server shut down cleanly before it is killed (default 30 s). */
  stopGraceMs?: number;
  /**
   * OS users to run the server as when the orchestrator runs as root, first existing wins; default the
   * flavour's own user, then `redis`. Runs as root when none exists (Redis allows it; logged once).
   */
  serverUsers?: string[];
}

/** The oldest release of each flavour with what the driver relies on (ACL users, PSYNC2, rdb-only). */
const MINIMUM_VERSION: Record<RedisFlavour, string> = { redis: '6.2', keydb: '6.2', valkey: '7.2' };

function atLeast(version: string, minimum: string): boolean {
  const [a, b] = [version, minimum].map((v) => v.split('.').map(Number));
  for (let i = 0; i < b.length; i++) if ((a[i] ?? 0) !== b[i]) return (a[i] ?? 0) > b[i];
  return true;
}

/** The engine driver, with the Redis-specific source report and multi-master always callable. */
export interface RedisEngineDriver extends EngineDriver {
  readonly engine: RedisFlavour;
  checkSource(source: ExternalSource, timeoutMs?: number): Promise<RedisSourceReport>;
  configureMultiMaster(a: EngineNode, b: EngineNode): Promise<void>;
}

class RedisDriver implements RedisEngineDriver {
  readonly engine: RedisFlavour;
  readonly capabilities: EngineCapabilities;
  private readonly ctx: DriverContext;
  private installedVersion: Promise<string> | undefined;

  constructor(options: RedisDriverOptions) {
    const info = FLAVOURS[options.flavour ?? 'redis'];
    let binary: Promise<string> | undefined;
    let serverUser: ServerUser | undefined;
    const log = options.logger ?? (() => undefined);
    this.engine = info.flavour;
    this.capabilities = { multiMaster: info.multiMaster };
    this.ctx = {
      info,
      supervisor: options.supervisor,
      binary: () => {
        // Resolved once; a failed lookup is retried next time (the binary may be installed meanwhile).
        binary ??= resolveBinary(info, options.binary).catch((err: unknown) => {
          binary = undefined;
          throw err;
        });
        return binary;
      },
      freeDiskBytes: options.freeDiskBytes ?? statfsFreeBytes,
      serverUser: () => {
        if (serverUser === undefined) {
          const candidates = options.serverUsers ?? [...new Set([info.flavour, 'redis'])];
          serverUser = resolveServerUser(candidates);
          if (serverUser.name === undefined && process.getuid?.() === 0) {
            log('no unprivileged server user exists: the server runs as root', { candidates });
          }
        }
        return serverUser;
      },
      log,
      lagClock: new LagClock(),
      startTimeoutMs: options.startTimeoutMs ?? 120_000,
      stopGraceMs: options.stopGraceMs ?? 30_000,
    };
  }

  private version(): Promise<string> {
    this.installedVersion ??= this.ctx
      .binary()
      .then(readServerVersion)
      .catch((err: unknown) => {
        this.installedVersion = undefined;
        throw err;
      });
    return this.installedVersion;
  }

  async checkAvailable(version: string): Promise<void> {
    const flavour = this.ctx.info.flavour;
    if (!VERSION_PATTERN.test(version.trim())) {
      throw new EngineUnavailableError(`${flavour} version "${version}" is not a version number such as 7 or 7.0`);
    }
    const installed = await this.version();
    const binary = await this.ctx.binary();
    if (!versionMatches(version, installed)) {
      throw new EngineUnavailableError(
        `${flavour} ${version} is not available: ${binary} is ${flavour} ${installed}; ` +
          `install ${flavour} ${version} and set ${this.ctx.info.binaryEnv} to its binary, or ask for version ${installed.split('.')[0]}`,
      );
    }
    const minimum = MINIMUM_VERSION[flavour];
    if (!atLeast(installed, minimum)) {
      throw new EngineUnavailableError(
        `${flavour} ${installed} is too old: the driver needs ${flavour} ${minimum} or later`,
      );
    }
  }

  initialise(node: EngineNode): Promise<void> {
    return initialiseNode(this.ctx, node);
  }

  start(node: EngineNode): Promise<void> {
    return startNode(this.ctx, node);
  }

  stop(node: EngineNode): Promise<void> {
    return stopNode(this.ctx, node);
  }

  health(node: EngineNode): Promise<NodeHealth> {
    return nodeHealth(this.ctx, node);
  }

  configureAsPrimary(node: EngineNode): Promise<void> {
    return replication.configureAsPrimary(this.ctx, node);
  }

  configureAsReplica(node: EngineNode, primary: EngineNode): Promise<void> {
    return replication.configureAsReplica(this.ctx, node, primary);
  }

  /** Users are per server here: every node needs the call, replicas included. */
  async ensureOwner(node: EngineNode): Promise<void> {
    await withAdmin(node, (client) => ensureOwnerUser(client, node.credentials));
    this.ctx.log('owner in place', { node: node.name });
  }

  fence(node: EngineNode): Promise<ReplicationPosition> {
    return replication.fence(this.ctx, node);
  }

  waitForPosition(node: EngineNode, position: ReplicationPosition, timeoutMs: number): Promise<void> {
    return replication.waitForPosition(node, position, timeoutMs);
  }

  promote(node: EngineNode): Promise<void> {
    return replication.promote(this.ctx, node);
  }

  erase(node: EngineNode): Promise<void> {
    return eraseNode(this.ctx, node);
  }

  backup(node: EngineNode, store: BackupStore, key: string): Promise<BackupArtifact> {
    return backupNode(this.ctx, node, store, key);
  }

  restore(node: EngineNode, store: BackupStore, artifact: BackupArtifact): Promise<void> {
    return restoreNode(this.ctx, node, store, artifact);
  }

  /** What the source's data needs from this target: its RDB format, known for Redis releases. */
  private async targetFacts(): Promise<TargetFacts> {
    const flavour = this.ctx.info.flavour;
    const installed = await this.version().catch(() => undefined);
    return { flavour, rdbFormat: flavour === 'redis' && installed ? rdbFormatOf(installed) : undefined };
  }

  async checkSource(source: ExternalSource, timeoutMs = DEFAULT_SOURCE_TIMEOUT_MS): Promise<RedisSourceReport> {
    return checkSource(source, await this.targetFacts(), timeoutMs);
  }

  async copyFrom(
    source: ExternalSource,
    node: EngineNode,
    onProgress?: (progress: CopyProgress) => void,
  ): Promise<CopyReport> {
    const freeDiskBytes = await this.ctx.freeDiskBytes(node.dataDir);
    // Keys are written as the cluster's owner (RESTORE, sanitised), never as the admin.
    const report = await withOwner(node, (client) => copyKeys(source, { node, client, freeDiskBytes, onProgress }), {
      commandTimeoutMs: undefined,
    });
    this.ctx.log('source copied', { node: node.name, source: `${source.host}:${source.port}`, keys: report.copied });
    return report;
  }

  configureMultiMaster(a: EngineNode, b: EngineNode): Promise<void> {
    return replication.configureMultiMaster(this.ctx, a, b);
  }
}

export function createRedisDriver(options: RedisDriverOptions): RedisEngineDriver {
  return new RedisDriver(options);
}

/**
 * The PostgreSQL engine driver (also serving the timescaledb and hydra engines, which are
 * PostgreSQL with an extension). See ./README.md for the design choices.
 */
import { statfs } from 'node:fs/promises';
import type { ProcessSupervisor } from '../../vm/types';
import { EngineUnavailableError } from '../errors';
import type { EngineDriver, EngineName, EngineNode } from '../types';
import { backupNode, restoreNode } from './backup';
import {
  cachedInstallations,
  FLAVOUR_EXTENSION,
  SILENT_LOGGER,
  type DriverContext,
  type DriverLogger,
  type PostgresFlavour,
} from './context';
import { eraseDataDirectory, initialiseDataDirectory } from './data-directory';
import { nodeHealth } from './health';
import { extensionControlFile, extensionInstalled, findInstallations, installationFor } from './installation';
import type { PostgresInstallation } from './installation';
import { ensureOwner } from './owner';
import { configurePrimary, fenceNode, promoteNode, waitForNodePosition } from './primary';
import { configureReplica, dropReplicaSlot } from './replica';
import { DEFAULT_SERVER_SETTINGS, type ServerSettings } from './server-config';
import { startServer, stopServer } from './server';
import { checkSource, copyFromSource } from './source';

export interface PostgresDriverOptions {
  supervisor: ProcessSupervisor;
  /** Which PostgreSQL-based engine this driver serves; default `postgresql`. */
  flavour?: PostgresFlavour;
  /** Free bytes on the filesystem holding `path`; defaults to statfs (tests inject small values). */
  freeDiskBytes?: (path: string) => Promise<number>;
  logger?: DriverLogger;
  /** Overrides of the rendered server settings (client networks, WAL retention). */
  settings?: Partial<ServerSettings>;
  /** Where PostgreSQL is installed; defaults to Debian's layout plus `pg_config` on the PATH. */
  findInstallations?: () => PostgresInstallation[];
  /** How long `start` waits for the server to accept sessions; default 120 s. */
  startTimeoutMs?: number;
}

/** The EngineDriver plus what only PostgreSQL needs. */
export interface PostgresDriver extends EngineDriver {
  /**
   * Drops the replication slot a removed replica used on `primary`, so it stops holding back WAL.
   * Call it when a replica is removed from the cluster. Idempotent.
   */
  dropReplicaSlot(primary: EngineNode, replicaName: string): Promise<void>;
}

export function createPostgresDriver(options: PostgresDriverOptions): PostgresDriver {
  const flavour = options.flavour ?? 'postgresql';
  const extension = FLAVOUR_EXTENSION[flavour];
  const ctx: DriverContext = {
    flavour,
    supervisor: options.supervisor,
    freeDiskBytes: options.freeDiskBytes ?? defaultFreeDiskBytes,
    logger: options.logger ?? SILENT_LOGGER,
    settings: {
      ...DEFAULT_SERVER_SETTINGS,
      ...(flavour === 'timescaledb' ? { sharedPreloadLibraries: ['timescaledb'] } : {}),
      ...options.settings,
    },
    installations: cachedInstallations(options.findInstallations ?? findInstallations),
    startTimeoutMs: options.startTimeoutMs ?? 120_000,
  };

  const checkAvailable = async (version: string): Promise<void> => {
    const installation = installationFor(version, ctx.installations());
    if (extension && !extensionInstalled(installation, extension)) {
      throw new EngineUnavailableError(
        `the ${flavour} engine needs the PostgreSQL extension "${extension}", which is not installed on this ` +
          `machine for PostgreSQL ${installation.major} (no ${extensionControlFile(installation, extension)}); ` +
          `install the ${flavour} package for PostgreSQL ${installation.major} or choose the postgresql engine`,
      );
    }
  };

  return {
    engine: flavour satisfies EngineName,
    capabilities: { multiMaster: false, ...(extension ? { extension } : {}) },
    checkAvailable,

    async initialise(node) {
      await checkAvailable(node.version);
      await initialiseDataDirectory(ctx, node);
    },
    start: (node) => startServer(ctx, node),
    stop: (node) => stopServer(ctx, node),
    health: (node) => nodeHealth(node),

    configureAsPrimary: (node) => configurePrimary(ctx, node),
    ensureOwner: (node) => ensureOwner(ctx, node),
    configureAsReplica: (node, primary) => configureReplica(ctx, node, primary),
    fence: (node) => fenceNode(ctx, node),
    waitForPosition: (node, position, timeoutMs) => waitForNodePosition(node, position, timeoutMs),
    promote: (node) => promoteNode(ctx, node),
    erase: (node) => eraseDataDirectory(ctx, node),

    backup: (node, store, key) => backupNode(ctx, node, store, key),
    restore: (node, store, artifact) => restoreNode(ctx, node, store, artifact),

    checkSource: (source, timeoutMs) => checkSource(newestInstallation(ctx), source, timeoutMs),
    copyFrom: (source, node, onProgress) => copyFromSource(ctx, source, node, onProgress),

    dropReplicaSlot: (primary, replicaName) => dropReplicaSlot(primary, replicaName),
  };
}

function newestInstallation(ctx: DriverContext): PostgresInstallation {
  return installationFor('', ctx.installations());
}

async function defaultFreeDiskBytes(path: string): Promise<number> {
  const info = await statfs(path);
  return info.bavail * info.bsize;
}

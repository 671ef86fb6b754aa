/** What the driver's parts share: injected dependencies and resolved settings. */
import type { ProcessSupervisor } from '../../vm/types';
import type { EngineNode } from '../types';
import { findInstallations, installationFor, type PostgresInstallation } from './installation';
import type { ServerSettings } from './server-config';

/** Receives the driver's log lines; they never contain passwords. */
export interface DriverLogger {
  info(message: string): void;
  warn(message: string): void;
}

export const SILENT_LOGGER: DriverLogger = { info: () => undefined, warn: () => undefined };

/** The PostgreSQL-based engines this driver serves. */
export type PostgresFlavour = 'postgresql' | 'timescaledb' | 'hydra';

/** The extension each flavour needs (hydra's columnar storage is the `columnar` extension). */
export const FLAVOUR_EXTENSION: Record<PostgresFlavour, string | undefined> = {
  postgresql: undefined,
  timescaledb: 'timescaledb',
  hydra: 'columnar',
};

export interface DriverContext {
  flavour: PostgresFlavour;
  supervisor: ProcessSupervisor;
  freeDiskBytes: (path: string) => Promise<number>;
  logger: DriverLogger;
  settings: ServerSettings;
  /** The installations found on this machine (looked up lazily, once). */
  installations: () => PostgresInstallation[];
  /** How long to wait for a server to accept connections after starting it. */
  startTimeoutMs: number;
}

export function cachedInstallations(find: () => PostgresInstallation[] = findInstallations) {
  let found: PostgresInstallation[] | undefined;
  return () => (found ??= find());
}

export function installationOf(ctx: DriverContext, node: Pick<EngineNode, 'version'>): PostgresInstallation {
  return installationFor(node.version, ctx.installations());
}

/** The supervisor's name for the server process of a node. */
export const SERVER_PROCESS = 'postgres';

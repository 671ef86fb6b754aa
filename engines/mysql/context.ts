/**
 * What the driver's parts share: injected dependencies and settings.
 */
import { promises as fs } from 'node:fs';
import type { ProcessSupervisor } from '../../vm/types';
import type { Binaries } from './binaries';
import type { ServerUser } from '../server-user';
import { serverUser } from './server-user';

/** Structured log line; never given a password (the driver redacts before logging). */
export type DriverLogger = (message: string, fields?: Record<string, unknown>) => void;

export interface DriverContext {
  supervisor: ProcessSupervisor;
  binaries: Binaries;
  freeDiskBytes: (path: string) => Promise<number>;
  log: DriverLogger;
  /** How long `start` waits for the server to accept connections. */
  startTimeoutMs: number;
  /** How long `stop` gives the server to shut down cleanly before it is killed. */
  stopGraceMs: number;
  /** The OS user the server runs as (resolved on first use: only root needs one). */
  serverUser(): ServerUser;
}

export async function statfsFreeBytes(target: string): Promise<number> {
  const stats = await fs.statfs(target);
  return stats.bavail * stats.bsize;
}

export function lazyServerUser(name: string): () => ServerUser {
  let resolved: ServerUser | undefined;
  return () => (resolved ??= serverUser(name));
}

/** Name of the node's server process in the supervisor. */
export const SERVER_PROCESS = 'mariadbd';

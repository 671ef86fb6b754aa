/**
 * What every part of the driver shares: its dependencies, the flavour it runs, and the connections it
 * opens to its own nodes (as the orchestrator's admin user, with failures turned into engine errors).
 */
import { statfs } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import { BadCredentialsError, NodeNotReadyError } from '../errors';
import { requireOwner } from '../owner';
import type { EngineNode } from '../types';
import type { ProcessSupervisor } from '../../vm/types';
import { RedisConnectFailure, withClient, type RedisTarget } from './client';
import type { FlavourInfo } from './flavours';
import { LagClock } from './lag-clock';
import type { ServerUser } from '../server-user';

/** Same shape as the local provider's logger: a message and structured fields, never a secret. */
export type DriverLogger = (message: string, fields?: Record<string, unknown>) => void;

export interface DriverContext {
  info: FlavourInfo;
  supervisor: ProcessSupervisor;
  /** Resolves the server binary (explicit, environment variable or PATH); throws EngineUnavailableError. */
  binary: () => Promise<string>;
  freeDiskBytes: (path: string) => Promise<number>;
  /** The OS user the server runs as (resolved once). */
  serverUser: () => ServerUser;
  log: DriverLogger;
  lagClock: LagClock;
  startTimeoutMs: number;
  stopGraceMs: number;
}

export async function statfsFreeBytes(path: string): Promise<number> {
  const stats = await statfs(path);
  return stats.bavail * stats.bsize;
}

/** Name of the engine process under the supervisor (per node). */
export function processName(info: FlavourInfo): string {
  return `${info.flavour}-server`;
}

export const address = (node: { host: string; port: number }) => `${node.host}:${node.port}`;

export function adminTarget(node: EngineNode): RedisTarget {
  return {
    host: node.host,
    port: node.port,
    username: node.credentials.adminUser,
    password: node.credentials.adminPassword,
  };
}

export function replicationTarget(node: EngineNode): RedisTarget {
  return {
    host: node.host,
    port: node.port,
    username: node.credentials.replicationUser,
    password: node.credentials.replicationPassword,
  };
}

/** Turns a failed connection to one of our nodes into the engine error the activities expect. */
export function nodeConnectError(node: EngineNode, err: unknown): Error {
  if (!(err instanceof RedisConnectFailure)) return err as Error;
  if (err.kind === 'auth') {
    return new BadCredentialsError(
      `node ${node.name} (${err.address}) refused the orchestrator's user: ${err.message}; its ACL file no longer matches the cluster's credentials`,
    );
  }
  return new NodeNotReadyError(
    `node ${node.name} is not answering (${err.message}); start it or wait for it to come up`,
  );
}

/** The cluster owner's address on the node; throws when the credentials name no owner. */
export function ownerTarget(node: EngineNode): RedisTarget {
  const owner = requireOwner(node);
  return { host: node.host, port: node.port, username: owner.user, password: owner.password };
}

export interface AdminOptions {
  timeoutMs?: number;
  /** Per-command bound; none for long operations (copying keys). */
  commandTimeoutMs?: number;
}

/** Runs `work` on an admin connection to the node. */
export async function withAdmin<T>(
  node: EngineNode,
  work: (client: Redis) => Promise<T>,
  options: AdminOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5000;
  try {
    return await withClient(
      adminTarget(node),
      { timeoutMs, commandTimeoutMs: 'commandTimeoutMs' in options ? options.commandTimeoutMs : 30_000 },
      work,
    );
  } catch (err) {
    throw nodeConnectError(node, err);
  }
}

/** Runs `work` on a connection as the cluster's owner (what migrations write with). */
export async function withOwner<T>(
  node: EngineNode,
  work: (client: Redis) => Promise<T>,
  options: AdminOptions = {},
): Promise<T> {
  try {
    return await withClient(
      ownerTarget(node),
      {
        timeoutMs: options.timeoutMs ?? 5000,
        commandTimeoutMs: 'commandTimeoutMs' in options ? options.commandTimeoutMs : 30_000,
      },
      work,
    );
  } catch (err) {
    throw nodeConnectError(node, err);
  }
}

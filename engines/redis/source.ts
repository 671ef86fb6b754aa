/**
 * Migrating from an external Redis-compatible server: checking it (version, size, what would stop a copy)
 * and copying every key of one logical database with its TTL (SCAN, then PTTL + DUMP on the source and
 * RESTORE ... REPLACE on the target, both pipelined a batch at a time).
 */
import type { Redis } from 'ioredis';
import {
  BadCredentialsError,
  InsufficientDiskError,
  SourceUnreachableError,
  UnsupportedOperationError,
} from '../errors';
import type { CopyProgress, CopyReport, EngineNode, ExternalSource, SourceReport } from '../types';
import { RedisConnectFailure, openClient, type RedisTarget } from './client';
import { infoInt, keyCount, otherNonEmptyDatabases, parseInfo } from './info';

export const DEFAULT_SOURCE_TIMEOUT_MS = 5000;

/** Databases a node of ours has (the server default, kept in our configuration). */
export const TARGET_DATABASES = 16;

const BATCH_KEYS = 500;

/** The report, with the number of keys in the chosen database. */
export interface RedisSourceReport extends SourceReport {
  database: number;
  keyCount: number;
}

/** RDB format written by each Redis release line (`RDB_VERSION` in rdb.h); a server loads formats up to its own. */
const RDB_FORMAT_BY_REDIS_VERSION: [string, number][] = [
  ['7.4', 12],
  ['7.2', 11],
  ['7.0', 10],
  ['5.0', 9],
  ['4.0', 8],
  ['3.2', 7],
  ['2.6', 6],
];

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** The newest RDB format a Redis server of `version` loads; undefined for versions older than the table. */
export function rdbFormatOf(version: string): number | undefined {
  return RDB_FORMAT_BY_REDIS_VERSION.find(([since]) => compareVersions(version, since) >= 0)?.[1];
}

/** A DUMP payload ends with the RDB format (2 bytes, little-endian) and a CRC64 (8 bytes). */
export function dumpPayloadFormat(payload: Buffer): number | undefined {
  return payload.length >= 10 ? payload.readUInt16LE(payload.length - 10) : undefined;
}

/** The logical database named by the source, or undefined when it is not a usable index. */
export function parseDatabase(database: string | undefined): number | undefined {
  const text = (database ?? '').trim() || '0';
  if (!/^\d{1,3}$/.test(text)) return undefined;
  const index = Number(text);
  return index < TARGET_DATABASES ? index : undefined;
}

function sourceTarget(source: ExternalSource): RedisTarget {
  return { host: source.host, port: source.port, username: source.user || undefined, password: source.password };
}

/**
 * Opens the source, turning connection failures into the errors the migration workflow reports.
 * `commandTimeoutMs` bounds each command afterwards (none while copying: a DUMP of a large key may take long).
 */
export async function openSource(source: ExternalSource, timeoutMs: number, commandTimeoutMs?: number): Promise<Redis> {
  try {
    return await openClient(sourceTarget(source), { timeoutMs, commandTimeoutMs });
  } catch (err) {
    if (!(err instanceof RedisConnectFailure)) throw err;
    const user = source.user || 'default';
    if (err.kind === 'auth') {
      throw new BadCredentialsError(
        `source ${err.address} refused user "${user}": ${err.message}; check the user name and password`,
      );
    }
    if (err.kind === 'unreachable') {
      throw new SourceUnreachableError(
        `source ${err.address} is unreachable (${err.message}); check the host, the port and that this machine may connect to it`,
      );
    }
    throw new SourceUnreachableError(`cannot connect to source ${err.address}: ${err.message}`);
  }
}

function isNoPermission(err: unknown): boolean {
  return err instanceof Error && /^NOPERM/.test(err.message);
}

/** Runs a probe command; NOPERM becomes a blocker, any other failure propagates. */
async function probe<T>(
  blockers: string[],
  user: string,
  command: string,
  run: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await run();
  } catch (err) {
    if (!isNoPermission(err)) throw err;
    blockers.push(
      `user "${user}" may not run ${command} on the source; grant it (+${command.toLowerCase()}) or use another user`,
    );
    return undefined;
  }
}

/** What the driver knows about its own server binary, to judge whether the source's data will load. */
export interface TargetFacts {
  flavour: string;
  /** Newest RDB format the target loads; undefined when the driver cannot tell. */
  rdbFormat: number | undefined;
}

export async function checkSource(
  source: ExternalSource,
  target: TargetFacts,
  timeoutMs: number = DEFAULT_SOURCE_TIMEOUT_MS,
): Promise<RedisSourceReport> {
  const client = await openSource(source, timeoutMs, timeoutMs);
  try {
    return await inspect(client, source, target);
  } catch (err) {
    if (err instanceof Error && /timed out/i.test(err.message)) {
      throw new SourceUnreachableError(`source ${source.host}:${source.port} stopped answering within ${timeoutMs} ms`);
    }
    throw err;
  } finally {
    client.disconnect();
  }
}

async function inspect(client: Redis, source: ExternalSource, target: TargetFacts): Promise<RedisSourceReport> {
  const user = source.user || 'default';
  const blockers: string[] = [];
  const warnings: string[] = [];
  const database = parseDatabase(source.database);
  if (database === undefined) {
    blockers.push(
      `database "${source.database}" is not a database index from 0 to ${TARGET_DATABASES - 1}; give the logical database number to copy`,
    );
  }
  const infoText = await probe(blockers, user, 'INFO', () => client.info());
  const info = parseInfo(infoText ?? '');
  const version = info.get('redis_version') ?? 'unknown';
  const sizeBytes = infoInt(info, 'used_memory') ?? 0;
  const db = database ?? 0;

  if (version !== 'unknown' && compareVersions(version, '2.8') < 0) {
    blockers.push(`the source runs Redis ${version}; copying needs SCAN and DUMP, available from Redis 2.8`);
  }
  if (info.get('cluster_enabled') === '1') {
    blockers.push(
      'the source runs in cluster mode (cluster_enabled:1); copy each shard as its own standalone source, or export it first',
    );
  }
  const modules = await listModules(client, warnings);
  if (modules.length > 0) {
    blockers.push(
      `the source loads module(s) ${modules.join(', ')}; keys of module types and module state (such as search indexes) cannot be copied into a server without them`,
    );
  }
  if (database !== undefined) {
    try {
      await client.select(database);
    } catch (err) {
      blockers.push(`the source has no database ${database} (${(err as Error).message})`);
    }
  }
  await probe(blockers, user, 'SCAN', () => client.scan('0', 'COUNT', 1));
  const sample = await probe(blockers, user, 'RANDOMKEY', () => client.randomkey());
  if (sample) {
    await probe(blockers, user, 'PTTL', () => client.pttl(sample));
    const payload = await probe(blockers, user, 'DUMP', () => client.dumpBuffer(sample));
    const format = payload ? dumpPayloadFormat(payload) : undefined;
    if (format !== undefined && target.rdbFormat !== undefined && format > target.rdbFormat) {
      blockers.push(
        `the source writes RDB format ${format} but this ${target.flavour} loads formats up to ${target.rdbFormat}; use a target version at least as new as the source`,
      );
    } else if (format !== undefined && target.rdbFormat === undefined) {
      warnings.push(
        `the source writes RDB format ${format}; whether this ${target.flavour} loads it is only known when the copy starts`,
      );
    }
  }
  const others = otherNonEmptyDatabases(info, db);
  if (others.length > 0) {
    warnings.push(`databases ${others.join(', ')} of the source also hold keys; only database ${db} is copied`);
  }
  const otherClients = (infoInt(info, 'connected_clients') ?? 1) - 1;
  if (otherClients > 0) {
    warnings.push(
      `${otherClients} other client(s) are connected to the source; writes made while the copy runs may be missed, so stop writers first`,
    );
  }
  return { version, sizeBytes, blockers, warnings, database: db, keyCount: keyCount(info, db) };
}

async function listModules(client: Redis, warnings: string[]): Promise<string[]> {
  let reply: unknown;
  try {
    reply = await client.call('MODULE', 'LIST');
  } catch (err) {
    if (isNoPermission(err)) warnings.push('the source user may not run MODULE LIST; loaded modules were not checked');
    // Servers before Redis 4 have no modules at all, and answer MODULE with an unknown-command error.
    return [];
  }
  const names: string[] = [];
  for (const entry of Array.isArray(reply) ? reply : []) {
    if (!Array.isArray(entry)) continue;
    const nameAt = entry.findIndex((field) => String(field) === 'name');
    if (nameAt >= 0) names.push(String(entry[nameAt + 1]));
  }
  return names;
}

export interface CopyTarget {
  node: EngineNode;
  /** An admin connection to the node, on database 0. */
  client: Redis;
  freeDiskBytes: number;
  onProgress?: (progress: CopyProgress) => void;
}

/** Copies every key of the source's database into the same database of the node. */
export async function copyKeys(
  source: ExternalSource,
  target: CopyTarget,
  timeoutMs = DEFAULT_SOURCE_TIMEOUT_MS,
): Promise<CopyReport> {
  const started = Date.now();
  const database = parseDatabase(source.database);
  if (database === undefined) {
    throw new UnsupportedOperationError(
      `database "${source.database}" is not a database index from 0 to ${TARGET_DATABASES - 1}; give the logical database number to copy`,
    );
  }
  const client = await openSource(source, timeoutMs);
  try {
    const info = parseInfo(await client.info('memory'));
    const needed = infoInt(info, 'used_memory') ?? 0;
    if (target.freeDiskBytes < needed) {
      throw new InsufficientDiskError(
        `node ${target.node.name} has ${target.freeDiskBytes} bytes free but the source uses ${needed} bytes; ` +
          'give the node a larger disk before migrating',
      );
    }
    await client.select(database);
    await target.client.select(database);
    const total = await client.dbsize();
    let copied = 0;
    target.onProgress?.({ done: 0, total, unit: 'keys' });
    let cursor = '0';
    do {
      const [next, keys] = await client.scanBuffer(cursor, 'COUNT', BATCH_KEYS);
      cursor = next.toString();
      copied += await copyBatch(client, target.client, keys);
      target.onProgress?.({ done: copied, total, unit: 'keys' });
    } while (cursor !== '0');
    return { copied, unit: 'keys', durationMs: Date.now() - started };
  } finally {
    client.disconnect();
  }
}

async function copyBatch(source: Redis, target: Redis, keys: Buffer[]): Promise<number> {
  if (keys.length === 0) return 0;
  const read = source.pipeline();
  for (const key of keys) read.pttl(key).dumpBuffer(key);
  const replies = (await read.exec()) ?? [];
  const write = target.pipeline();
  let queued = 0;
  keys.forEach((key, index) => {
    const [ttlError, ttl] = replies[index * 2] as [Error | null, number];
    const [dumpError, payload] = replies[index * 2 + 1] as [Error | null, Buffer | null];
    if (ttlError || dumpError)
      throw new Error(
        `reading key ${JSON.stringify(key.toString())} from the source failed: ${(ttlError ?? dumpError)?.message}`,
      );
    // Gone between SCAN and DUMP (expired or deleted): nothing to copy.
    if (payload === null || ttl === -2) return;
    // RESTORE takes 0 as "no expiry", so a key about to expire keeps the smallest real TTL instead.
    const restoreTtl = ttl === -1 ? 0 : Math.max(ttl, 1);
    write.restore(key, restoreTtl, payload, 'REPLACE');
    queued += 1;
  });
  if (queued === 0) return 0;
  const results = (await write.exec()) ?? [];
  const failedAt = results.findIndex(([err]) => err !== null);
  if (failedAt >= 0) {
    const message = results[failedAt][0]?.message ?? '';
    if (/payload version|checksum/i.test(message)) {
      throw new UnsupportedOperationError(
        `the node cannot load the source's DUMP format (${message}); use a target version at least as new as the source`,
      );
    }
    throw new Error(`restoring keys into the node failed: ${message}`);
  }
  return queued;
}

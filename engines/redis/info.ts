/**
 * Reading the server's INFO output: the fields the driver needs about role, replication offsets and
 * persistence, parsed once into plain values.
 */

/** INFO text → field map. Section headers and blank lines are skipped; later sections never repeat names. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** An integer field, or undefined when absent or not an integer. */
export function infoInt(fields: Map<string, string>, name: string): number | undefined {
  const value = fields.get(name);
  if (value === undefined || !/^-?\d+$/.test(value)) return undefined;
  return Number(value);
}

export interface ReplicationFacts {
  /** `master`, `slave`, or KeyDB's `active-replica`. */
  role: string;
  /** The offset of everything this node has applied (its own stream on a primary). */
  offset: number;
  /** Replicas only: the primary followed. */
  primaryHost?: string;
  primaryPort?: number;
  linkUp: boolean;
  syncInProgress: boolean;
  /** Seconds the link to the primary has been down; undefined when up. */
  linkDownSeconds?: number;
  /** Replicas connected to this node that are online. */
  onlineReplicas: number;
  /** The replication history this node is in (a replica takes its primary's once synchronised). */
  replicationId?: string;
  /** The history this node continued from when it was promoted, valid up to `secondOffset` (exclusive). */
  replicationId2?: string;
  secondOffset?: number;
}

export function replicationFacts(fields: Map<string, string>): ReplicationFacts {
  const role = fields.get('role') ?? 'unknown';
  const isReplica = role === 'slave';
  const offset =
    (isReplica ? infoInt(fields, 'slave_repl_offset') : undefined) ?? infoInt(fields, 'master_repl_offset') ?? 0;
  const primaryPort = infoInt(fields, 'master_port');
  const linkDown = infoInt(fields, 'master_link_down_since_seconds');
  let onlineReplicas = 0;
  for (const [name, value] of fields) {
    if (/^slave\d+$/.test(name) && /(^|,)state=online(,|$)/.test(value)) onlineReplicas += 1;
  }
  return {
    role,
    offset,
    primaryHost: fields.get('master_host'),
    primaryPort,
    linkUp: fields.get('master_link_status') === 'up',
    syncInProgress: fields.get('master_sync_in_progress') === '1',
    linkDownSeconds: linkDown !== undefined && linkDown >= 0 ? linkDown : undefined,
    onlineReplicas,
    replicationId: fields.get('master_replid'),
    replicationId2: fields.get('master_replid2'),
    secondOffset: infoInt(fields, 'second_repl_offset'),
  };
}

/** The product version the server reports (Valkey and KeyDB also report a Redis compatibility version). */
export function serverVersion(fields: Map<string, string>): string | undefined {
  return fields.get('valkey_version') ?? fields.get('redis_version');
}

export function isLoading(fields: Map<string, string>): boolean {
  return fields.get('loading') === '1' || fields.get('async_loading') === '1';
}

/** True while an AOF rewrite runs or waits to run (after `CONFIG SET appendonly yes`, for instance). */
export function aofRewritePending(fields: Map<string, string>): boolean {
  return fields.get('aof_rewrite_in_progress') === '1' || fields.get('aof_rewrite_scheduled') === '1';
}

/** The number of keys in database `db` from INFO keyspace (`db9:keys=3,expires=1,avg_ttl=0`). */
export function keyCount(fields: Map<string, string>, db: number): number {
  const match = /(?:^|,)keys=(\d+)/.exec(fields.get(`db${db}`) ?? '');
  return match ? Number(match[1]) : 0;
}

/** Databases other than `db` that hold keys. */
export function otherNonEmptyDatabases(fields: Map<string, string>, db: number): number[] {
  const found: number[] = [];
  for (const [name, value] of fields) {
    const match = /^db(\d+)$/.exec(name);
    if (match && Number(match[1]) !== db && /(?:^|,)keys=[1-9]/.test(value)) found.push(Number(match[1]));
  }
  return found.sort((a, b) => a - b);
}

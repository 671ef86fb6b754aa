/**
 * GTID positions of both flavours, as the driver compares them. A position is the opaque
 * `ReplicationPosition` string of the driver contract; only this file looks inside it.
 *
 * MariaDB: `domain-server-seq` entries separated by commas, at most one per domain in the positions we
 * read (`@@gtid_binlog_pos`, `@@gtid_slave_pos`). Sequence numbers grow per domain (we run with
 * `gtid_strict_mode`), so "has applied" means "has at least this sequence number in every domain".
 *
 * MySQL 8: a GTID set, `uuid[:tag]:1-5:7,uuid2:1-3`; "has applied" means set containment.
 */

export interface MariadbGtid {
  domain: number;
  server: number;
  seq: bigint;
}

const MARIADB_ENTRY = /^(\d+)-(\d+)-(\d+)$/;

/** Parses a MariaDB GTID position; for a domain listed twice (a binlog state) the highest sequence wins. */
export function parseMariadbPosition(position: string): Map<number, MariadbGtid> {
  const result = new Map<number, MariadbGtid>();
  for (const raw of position.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const match = MARIADB_ENTRY.exec(entry);
    if (match === null) throw new Error(`"${entry}" is not a MariaDB GTID (expected domain-server-sequence)`);
    const gtid = { domain: Number(match[1]), server: Number(match[2]), seq: BigInt(match[3]) };
    const known = result.get(gtid.domain);
    if (known === undefined || known.seq < gtid.seq) result.set(gtid.domain, gtid);
  }
  return result;
}

export function formatMariadbPosition(position: Map<number, MariadbGtid>): string {
  return [...position.values()]
    .sort((a, b) => a.domain - b.domain)
    .map((gtid) => `${gtid.domain}-${gtid.server}-${gtid.seq}`)
    .join(',');
}

/** Per domain, the entry with the higher sequence number of the two positions. */
export function mergeMariadbPositions(...positions: string[]): string {
  const merged = new Map<number, MariadbGtid>();
  for (const position of positions) {
    for (const gtid of parseMariadbPosition(position).values()) {
      const known = merged.get(gtid.domain);
      if (known === undefined || known.seq < gtid.seq) merged.set(gtid.domain, gtid);
    }
  }
  return formatMariadbPosition(merged);
}

/** The entries of `wanted` that `current` has not reached yet, as a position string ('' when none). */
export function mariadbMissing(current: string, wanted: string): string {
  const have = parseMariadbPosition(current);
  const missing = new Map<number, MariadbGtid>();
  for (const gtid of parseMariadbPosition(wanted).values()) {
    const reached = have.get(gtid.domain);
    if (reached === undefined || reached.seq < gtid.seq) missing.set(gtid.domain, gtid);
  }
  return formatMariadbPosition(missing);
}

/**
 * Whether a node at `node` has transactions its new primary at `primary` cannot have: a domain where
 * the node is further ahead, or where both stand at the same sequence number written by different
 * servers. (A node behind in a domain can still have diverged; the primary reports that when the
 * replica connects, and `gtid_strict_mode` stops replication instead of applying over it.)
 */
export function mariadbDivergence(node: string, primary: string): string | undefined {
  const theirs = parseMariadbPosition(primary);
  for (const gtid of parseMariadbPosition(node).values()) {
    const other = theirs.get(gtid.domain);
    if (other === undefined || other.seq < gtid.seq) {
      return `it has ${gtid.domain}-${gtid.server}-${gtid.seq} but the primary only has ${other === undefined ? 'nothing' : `${other.domain}-${other.server}-${other.seq}`} in domain ${gtid.domain}`;
    }
    if (other.seq === gtid.seq && other.server !== gtid.server) {
      return `it has ${gtid.domain}-${gtid.server}-${gtid.seq} where the primary has ${other.domain}-${other.server}-${other.seq}`;
    }
  }
  return undefined;
}

type Interval = [bigint, bigint];

/** Parses a MySQL GTID set into source (uuid, or uuid:tag) → sorted, merged intervals. */
export function parseMysqlGtidSet(set: string): Map<string, Interval[]> {
  const result = new Map<string, Interval[]>();
  for (const raw of set.replace(/\s+/g, '').split(',')) {
    if (raw === '') continue;
    const [uuid, ...rest] = raw.toLowerCase().split(':');
    // A tag (MySQL 8.3+) starts a separate sequence under the same uuid, until the next tag.
    let source = uuid;
    for (const part of rest) {
      const range = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (range !== null) {
        const list = result.get(source) ?? [];
        list.push([BigInt(range[1]), BigInt(range[2] ?? range[1])]);
        result.set(source, list);
      } else if (/^[a-z_][a-z0-9_]{0,31}$/.test(part)) {
        source = `${uuid}:${part}`;
      } else {
        throw new Error(`"${raw}" is not a MySQL GTID set entry`);
      }
    }
  }
  for (const [source, list] of result) result.set(source, normaliseIntervals(list));
  return result;
}

function normaliseIntervals(list: Interval[]): Interval[] {
  const sorted = [...list].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const merged: Interval[] = [];
  for (const [start, end] of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && start <= last[1] + 1n) {
      if (end > last[1]) last[1] = end;
    } else {
      merged.push([start, end]);
    }
  }
  return merged;
}

/** True when every GTID of `wanted` is in `current`. */
export function mysqlGtidSetContains(current: string, wanted: string): boolean {
  const have = parseMysqlGtidSet(current);
  for (const [source, intervals] of parseMysqlGtidSet(wanted)) {
    const available = have.get(source) ?? [];
    for (const [start, end] of intervals) {
      if (!available.some(([from, to]) => from <= start && end <= to)) return false;
    }
  }
  return true;
}

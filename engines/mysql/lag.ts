/**
 * How far a replica is behind its primary.
 *
 * - lagBytes: bytes of the primary's binlog between the position the replica has applied
 *   (Relay_Master_Log_File / Exec_Master_Log_Pos) and the primary's current position (SHOW MASTER
 *   STATUS), summed over the binlog files in between (SHOW BINARY LOGS). Null when the primary cannot
 *   be reached or the replica's file is no longer on the primary.
 * - lagSeconds: Seconds_Behind_Master while both replication threads run. When replication is
 *   stopped the server reports nothing, so the driver reads the commit time of the first transaction
 *   the replica has not applied from the primary's binlog (mariadb-binlog) and reports how long ago,
 *   by the primary's clock, that was. 0 when nothing is missing; null when unknown.
 */
import readline from 'node:readline';
import type { EngineNode, ReplicationStatus } from '../types';
import type { DriverContext } from './context';
import type { ReplicaStatusRow } from './flavour';
import { Session, type Row } from './session';
import { startTool } from './tools';

export interface BinlogFile {
  name: string;
  size: number;
}

export interface BinlogCoordinates {
  file: string;
  pos: number;
}

/** Bytes from `from` to `to` across `files` (the primary's SHOW BINARY LOGS, oldest first). */
export function bytesBetween(from: BinlogCoordinates, to: BinlogCoordinates, files: BinlogFile[]): number | null {
  if (from.file === '' || to.file === '') return null;
  const first = files.findIndex((file) => file.name === from.file);
  const last = files.findIndex((file) => file.name === to.file);
  if (first < 0 || last < 0) return null;
  if (first === last) return Math.max(0, to.pos - from.pos);
  if (first > last) return 0;
  let bytes = Math.max(0, files[first].size - from.pos) + to.pos;
  for (let index = first + 1; index < last; index++) bytes += files[index].size;
  return bytes;
}

/** Parses mariadb-binlog's event header comment (`#261121 23:32:51 server id 1  end_log_pos 673 ...`) of a GTID event. */
export function gtidEventTime(line: string): number | undefined {
  const match =
    /^#(\d{2})(\d{2})(\d{2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+server id\s+\d+\s+end_log_pos\s+\d+.*\tGTID\s/.exec(line);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  return Date.UTC(2000 + year, month - 1, day, hour, minute, second) / 1000;
}

const PRIMARY_PROBE_TIMEOUT_MS = 3_000;

/** Commit time (unix seconds) of the first transaction after `from` in the primary's binlog. */
async function firstTransactionTime(
  context: DriverContext,
  node: EngineNode,
  primary: { host: string; port: number },
  from: BinlogCoordinates,
): Promise<number | undefined> {
  const tool = startTool({
    command: context.binaries.path('mariadb-binlog'),
    args: [
      '--read-from-remote-server',
      `--host=${primary.host}`,
      `--port=${primary.port}`,
      `--user=${node.credentials.adminUser}`,
      `--start-position=${from.pos}`,
      '--to-last-log',
      from.file,
    ],
    // mariadb-binlog prints event times in local time; UTC makes them unambiguous.
    env: { MYSQL_PWD: node.credentials.adminPassword, TZ: 'UTC' },
    secrets: [node.credentials.adminPassword],
    purpose: `reading the binlog of ${primary.host}:${primary.port}`,
  });
  const timer = setTimeout(() => tool.kill(), PRIMARY_PROBE_TIMEOUT_MS);
  try {
    for await (const line of readline.createInterface({ input: tool.stdout })) {
      const time = gtidEventTime(line);
      if (time !== undefined) {
        tool.kill();
        return time;
      }
    }
    await tool.done;
    return undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    tool.kill();
  }
}

function replicationState(status: ReplicaStatusRow): Pick<ReplicationStatus, 'state' | 'lastError'> {
  const lastError = status.lastSqlError ?? status.lastIoError;
  if (status.lastSqlError !== undefined) return { state: 'error', lastError };
  if (status.ioState === 'running' && status.sqlRunning) return { state: 'streaming' };
  if (status.ioState === 'connecting') return { state: 'connecting', lastError };
  return { state: lastError === undefined ? 'stopped' : 'error', lastError };
}

interface PrimaryView {
  files: BinlogFile[];
  current: BinlogCoordinates;
  now: number;
}

async function readPrimary(node: EngineNode, status: ReplicaStatusRow): Promise<PrimaryView | undefined> {
  let session: Session | undefined;
  try {
    session = await Session.open(
      {
        host: status.sourceHost,
        port: status.sourcePort,
        user: node.credentials.adminUser,
        password: node.credentials.adminPassword,
        connectTimeoutMs: PRIMARY_PROBE_TIMEOUT_MS,
      },
      `primary of ${node.name}`,
    );
    const files = (await session.query('SHOW BINARY LOGS')).map((row: Row) => ({
      name: String(row.Log_name),
      size: Number(row.File_size),
    }));
    const master = await session.one(session.flavour.binlogStatus);
    const clock = await session.one('SELECT UNIX_TIMESTAMP() AS `now`');
    if (master === undefined) return undefined;
    return {
      files,
      current: { file: String(master.File), pos: Number(master.Position) },
      now: Number(clock?.now),
    };
  } catch {
    return undefined;
  } finally {
    await session?.close();
  }
}

export async function replicationStatus(
  context: DriverContext,
  node: EngineNode,
  status: ReplicaStatusRow,
  canReadBinlog: boolean,
): Promise<ReplicationStatus> {
  const primary = await readPrimary(node, status);
  const applied = { file: status.execFile, pos: status.execPos };
  const lagBytes = primary === undefined ? null : bytesBetween(applied, primary.current, primary.files);
  let lagSeconds: number | null = null;
  if (status.ioState === 'running' && status.sqlRunning && status.secondsBehind !== null) {
    lagSeconds = status.secondsBehind;
  } else if (lagBytes === 0) {
    lagSeconds = 0;
  } else if (primary !== undefined && lagBytes !== null && canReadBinlog) {
    const committed = await firstTransactionTime(
      context,
      node,
      { host: status.sourceHost, port: status.sourcePort },
      applied,
    );
    // No transaction found: only non-transactional events (rotations, heartbeats) are missing.
    lagSeconds = committed === undefined ? 0 : Math.max(0, primary.now - committed);
  }
  return {
    primary: `${status.sourceHost}:${status.sourcePort}`,
    ...replicationState(status),
    lagBytes,
    lagSeconds,
  };
}

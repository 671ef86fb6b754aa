/**
 * Every statement whose text differs between MariaDB and MySQL 8 lives here, so the rest of the driver
 * speaks one vocabulary. Only MariaDB runs on this machine; the MySQL 8 side is covered by unit tests
 * of the statements it issues (flavour.test.ts).
 */
import { mariadbMissing, mergeMariadbPositions, mysqlGtidSetContains } from './gtid';

export type FlavourName = 'mariadb' | 'mysql';

/** A statement with `?` placeholders, escaped client-side by mysql2's `query`. */
export interface Statement {
  sql: string;
  values?: unknown[];
}

/** One row of SHOW SLAVE STATUS / SHOW REPLICA STATUS in flavour-neutral names. */
export interface ReplicaStatusRow {
  sourceHost: string;
  sourcePort: number;
  ioState: 'running' | 'connecting' | 'stopped';
  sqlRunning: boolean;
  lastIoError?: string;
  lastSqlError?: string;
  secondsBehind: number | null;
  /** The source's binlog coordinates the replica has applied up to. */
  execFile: string;
  execPos: number;
  /** The source's binlog coordinates the replica has received up to. */
  readFile: string;
  readPos: number;
  /** How the replica asks for events: slave_pos / current_pos (MariaDB), auto (MySQL), none (file and offset). */
  gtidMode: 'slave_pos' | 'current_pos' | 'auto' | 'none';
}

export interface ReplicationSource {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** Positions a node reports: what it wrote to its binlog, and (MariaDB) what its replication applied. */
export interface NodePositions {
  binlog: string;
  applied: string;
}

export interface Flavour {
  readonly name: FlavourName;
  /** Current binlog file and position (MariaDB and MySQL 8.0: SHOW MASTER STATUS; 8.4: SHOW BINARY LOG STATUS). */
  readonly binlogStatus: string;
  readonly replicaStatus: string;
  readonly positions: string;
  parseReplicaStatus(row: Record<string, unknown>): ReplicaStatusRow;
  /** The node's position: everything it has in its binlog (own writes and, with log_slave_updates, replicated ones). */
  positionOf(positions: NodePositions): string;
  /** Whether `current` includes every transaction of `wanted`. */
  reached(current: string, wanted: string): boolean;
  /** Statements that make the node refuse (on) or accept (off) writes from ordinary users. */
  setReadOnly(on: boolean): Statement[];
  stopReplica(): Statement[];
  /** Stops only the receiving side, so the replica can apply what it already has before promotion. */
  stopReceiving(): Statement[];
  startReplica(): Statement[];
  resetReplica(): Statement[];
  /**
   * Points the node at a source by GTID; `startFrom` is the position the node already has. A `peer`
   * link (multi-master) also takes the node's own writes into account when asking for events, so its
   * own transactions never come back to it.
   */
  changeSource(source: ReplicationSource, startFrom: NodePositions, link: 'replica' | 'peer'): Statement[];
  /** Gives a node restored from a backup the backup's GTID history, so replication continues after it. */
  seedPosition(position: string): Statement[];
  /** Waits up to `timeoutSeconds` for the position; the query returns one row with column `reached` = 1 or 0. */
  waitForPosition(position: string, timeoutSeconds: number): Statement;
  /** Waits until the SQL thread has applied the relay log up to the source coordinates. */
  waitForRelayLog(file: string, pos: number, timeoutSeconds: number): Statement;
  /** Multi-master: the GTID domain this node's own writes go to (MySQL has none: its GTIDs carry the server uuid). */
  setWriteDomain(domain: number): Statement[];
}

function text(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}

function num(value: unknown): number {
  return value === null || value === undefined || value === '' ? 0 : Number(value);
}

function ioState(value: unknown): ReplicaStatusRow['ioState'] {
  const state = text(value);
  return state === 'Yes' ? 'running' : state === 'Connecting' ? 'connecting' : 'stopped';
}

function errorText(errno: unknown, message: unknown): string | undefined {
  return num(errno) === 0 ? undefined : `${num(errno)}: ${text(message)}`;
}

function secondsBehind(value: unknown): number | null {
  return value === null || value === undefined || value === '' ? null : Number(value);
}

function mariadbGtidMode(value: unknown): ReplicaStatusRow['gtidMode'] {
  const mode = text(value).toLowerCase();
  return mode === 'slave_pos' || mode === 'current_pos' ? mode : 'none';
}

export const mariadb: Flavour = {
  name: 'mariadb',
  binlogStatus: 'SHOW MASTER STATUS',
  replicaStatus: 'SHOW SLAVE STATUS',
  positions: 'SELECT @@GLOBAL.gtid_binlog_pos AS `binlog`, @@GLOBAL.gtid_slave_pos AS `applied`',
  parseReplicaStatus: (row) => ({
    sourceHost: text(row.Master_Host),
    sourcePort: num(row.Master_Port),
    ioState: ioState(row.Slave_IO_Running),
    sqlRunning: text(row.Slave_SQL_Running) === 'Yes',
    lastIoError: errorText(row.Last_IO_Errno, row.Last_IO_Error),
    lastSqlError: errorText(row.Last_SQL_Errno, row.Last_SQL_Error),
    secondsBehind: secondsBehind(row.Seconds_Behind_Master),
    execFile: text(row.Relay_Master_Log_File),
    execPos: num(row.Exec_Master_Log_Pos),
    readFile: text(row.Master_Log_File),
    readPos: num(row.Read_Master_Log_Pos),
    gtidMode: mariadbGtidMode(row.Using_Gtid),
  }),
  // With log_slave_updates the binlog holds replicated transactions too; the applied position is
  // merged in for a node whose binlog was reset (it still knows what it applied).
  positionOf: ({ binlog, applied }) => mergeMariadbPositions(binlog, applied),
  reached: (current, wanted) => mariadbMissing(current, wanted) === '',
  // MariaDB 10.11: read_only stops every user without READ_ONLY ADMIN (SUPER no longer implies it).
  setReadOnly: (on) => [{ sql: `SET GLOBAL read_only = ${on ? 'ON' : 'OFF'}` }],
  stopReplica: () => [{ sql: 'STOP SLAVE' }],
  stopReceiving: () => [{ sql: 'STOP SLAVE IO_THREAD' }],
  startReplica: () => [{ sql: 'START SLAVE' }],
  resetReplica: () => [{ sql: 'STOP SLAVE' }, { sql: 'RESET SLAVE ALL' }],
  changeSource: (source, startFrom, link) => [
    // Start after everything this node already has, its own writes as a former primary included.
    { sql: 'SET GLOBAL gtid_slave_pos = ?', values: [mergeMariadbPositions(startFrom.binlog, startFrom.applied)] },
    {
      // A replica asks by what it applied (slave_pos). A multi-master peer writes in its own domain and
      // asks by its current position (MariaDB's choice for rings), which includes its own writes, so
      // its peer never sends it its own domain back.
      sql:
        'CHANGE MASTER TO MASTER_HOST = ?, MASTER_PORT = ?, MASTER_USER = ?, MASTER_PASSWORD = ?, ' +
        `MASTER_USE_GTID = ${link === 'peer' ? 'current_pos' : 'slave_pos'}, MASTER_CONNECT_RETRY = 1, MASTER_HEARTBEAT_PERIOD = 1`,
      values: [source.host, source.port, source.user, source.password],
    },
  ],
  seedPosition: (position) => [
    { sql: 'RESET MASTER' },
    { sql: 'SET GLOBAL gtid_binlog_state = ?', values: [position] },
    { sql: 'SET GLOBAL gtid_slave_pos = ?', values: [position] },
  ],
  waitForPosition: (position, timeoutSeconds) => ({
    // MASTER_GTID_WAIT compares against gtid_slave_pos; callers pass only the domains not yet reached.
    sql: 'SELECT MASTER_GTID_WAIT(?, ?) = 0 AS `reached`',
    values: [position, timeoutSeconds],
  }),
  waitForRelayLog: (file, pos, timeoutSeconds) => ({
    sql: 'SELECT IFNULL(MASTER_POS_WAIT(?, ?, ?), -1) >= 0 AS `reached`',
    values: [file, pos, timeoutSeconds],
  }),
  setWriteDomain: (domain) => [{ sql: 'SET GLOBAL gtid_domain_id = ?', values: [domain] }],
};

/** MySQL 8.0.23+ (the REPLICA/SOURCE vocabulary); `binaryLogStatus` for 8.4, where SHOW MASTER STATUS is gone. */
export function mysql(options: { binaryLogStatus: boolean }): Flavour {
  return {
    name: 'mysql',
    binlogStatus: options.binaryLogStatus ? 'SHOW BINARY LOG STATUS' : 'SHOW MASTER STATUS',
    replicaStatus: 'SHOW REPLICA STATUS',
    positions: "SELECT @@GLOBAL.gtid_executed AS `binlog`, '' AS `applied`",
    parseReplicaStatus: (row) => ({
      sourceHost: text(row.Source_Host),
      sourcePort: num(row.Source_Port),
      ioState: ioState(row.Replica_IO_Running),
      sqlRunning: text(row.Replica_SQL_Running) === 'Yes',
      lastIoError: errorText(row.Last_IO_Errno, row.Last_IO_Error),
      lastSqlError: errorText(row.Last_SQL_Errno, row.Last_SQL_Error),
      secondsBehind: secondsBehind(row.Seconds_Behind_Source),
      execFile: text(row.Relay_Source_Log_File),
      execPos: num(row.Exec_Source_Log_Pos),
      readFile: text(row.Source_Log_File),
      readPos: num(row.Read_Source_Log_Pos),
      gtidMode: num(row.Auto_Position) === 1 ? 'auto' : 'none',
    }),
    positionOf: ({ binlog }) => binlog.replace(/\s+/g, ''),
    reached: (current, wanted) => mysqlGtidSetContains(current, wanted),
    // super_read_only also stops users with SUPER / CONNECTION_ADMIN; turning it off leaves read_only on.
    setReadOnly: (on) =>
      on
        ? [{ sql: 'SET GLOBAL super_read_only = ON' }]
        : [{ sql: 'SET GLOBAL super_read_only = OFF' }, { sql: 'SET GLOBAL read_only = OFF' }],
    stopReplica: () => [{ sql: 'STOP REPLICA' }],
    stopReceiving: () => [{ sql: 'STOP REPLICA IO_THREAD' }],
    startReplica: () => [{ sql: 'START REPLICA' }],
    resetReplica: () => [{ sql: 'STOP REPLICA' }, { sql: 'RESET REPLICA ALL' }],
    // With SOURCE_AUTO_POSITION the replica sends its gtid_executed; there is no separate start position.
    changeSource: (source) => [
      {
        sql:
          'CHANGE REPLICATION SOURCE TO SOURCE_HOST = ?, SOURCE_PORT = ?, SOURCE_USER = ?, SOURCE_PASSWORD = ?, ' +
          'SOURCE_AUTO_POSITION = 1, SOURCE_CONNECT_RETRY = 1, SOURCE_HEARTBEAT_PERIOD = 1, GET_SOURCE_PUBLIC_KEY = 1',
        values: [source.host, source.port, source.user, source.password],
      },
    ],
    seedPosition: (position) => [
      { sql: options.binaryLogStatus ? 'RESET BINARY LOGS AND GTIDS' : 'RESET MASTER' },
      { sql: 'SET GLOBAL gtid_purged = ?', values: [position] },
    ],
    waitForPosition: (position, timeoutSeconds) => ({
      sql: 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) = 0 AS `reached`',
      values: [position, timeoutSeconds],
    }),
    waitForRelayLog: (file, pos, timeoutSeconds) => ({
      sql: 'SELECT IFNULL(SOURCE_POS_WAIT(?, ?, ?), -1) >= 0 AS `reached`',
      values: [file, pos, timeoutSeconds],
    }),
    setWriteDomain: () => [],
  };
}

/** The flavour of a server, from `SELECT VERSION()` (e.g. `10.11.19-MariaDB-0+deb12u1-log`, `8.0.36`). */
export function flavourOf(version: string): Flavour {
  if (/mariadb/i.test(version)) return mariadb;
  const [major, minor] = version.split(/[.-]/).map(Number);
  return mysql({ binaryLogStatus: major > 8 || (major === 8 && minor >= 4) });
}

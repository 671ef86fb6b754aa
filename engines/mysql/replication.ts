/**
 * Roles and replication: primary, replica, fence, wait, promote and multi-master.
 */
import mysql from 'mysql2/promise';
import { NodeNotReadyError, ReplicationTimeoutError, UnsupportedOperationError } from '../errors';
import type { EngineNode, ReplicationPosition } from '../types';
import type { DriverContext } from './context';
import { ReplicaDivergedError } from './errors';
import { mariadbDivergence, mariadbMissing, mysqlGtidSetContains } from './gtid';
import { readPosition, readReplicaStatus } from './health';
import { layoutOf, readSettings, writeSettings, type NodeSettings } from './layout';
import type { ReplicaStatusRow } from './flavour';
import { ensureOwnerIn } from './owner';
import { withNode, type Session } from './session';

/** How long configureAsReplica waits for the replica to connect and apply. */
const STREAMING_WAIT_MS = 15_000;
/** How long promote waits for a replica to apply the relay log it already received. */
const DRAIN_TIMEOUT_SECONDS = 60;
const POLL_MS = 200;

/** Binlog error 1236: the primary cannot serve the GTID the replica asked for. */
const ER_MASTER_FATAL_READING_BINLOG = 1236;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function updateSettings(node: EngineNode, change: Partial<NodeSettings>): Promise<void> {
  const layout = layoutOf(node);
  await writeSettings(layout, { ...(await readSettings(layout)), ...change });
}

/** Sets read-only now and for later restarts. */
async function setReadOnly(session: Session, node: EngineNode, on: boolean): Promise<void> {
  // Persisted first when turning on, last when turning off: a crash in between errs on refusing writes.
  if (on) await updateSettings(node, { readOnly: true });
  await session.run(session.flavour.setReadOnly(on));
  if (!on) await updateSettings(node, { readOnly: false });
}

/**
 * Read-only, then every client connection that is not ours is killed: read_only stops new commits of
 * ordinary users, and killing rolls back what their open transactions had written. The orchestrator's
 * own admin sessions (health probes, other activities) and replication threads are left alone.
 */
async function fenceSession(session: Session, node: EngineNode): Promise<void> {
  await setReadOnly(session, node, true);
  const clients = await session.query({
    sql:
      'SELECT ID AS `id` FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() ' +
      "AND USER NOT IN ('system user', 'event_scheduler', ?, ?) " +
      "AND COMMAND NOT IN ('Daemon', 'Binlog Dump', 'Binlog Dump GTID', 'Slave_IO', 'Slave_SQL', 'Slave_worker')",
    values: [node.credentials.adminUser, node.credentials.replicationUser],
  });
  for (const { id } of clients) {
    // A connection that ended meanwhile is fine (unknown thread id).
    await session.query({ sql: 'KILL CONNECTION ?', values: [Number(id)] }).catch(() => undefined);
  }
}

export async function fence(context: DriverContext, node: EngineNode): Promise<ReplicationPosition> {
  const position = await withNode(node, async (session) => {
    await fenceSession(session, node);
    return readPosition(session);
  });
  context.log('mysql node fenced', { node: node.name, position });
  return position;
}

async function ensureReplicationUser(session: Session, node: EngineNode): Promise<void> {
  const user = `${mysql.escape(node.credentials.replicationUser)}@'%'`;
  const password = mysql.escape(node.credentials.replicationPassword);
  // Not binlogged: every node gets the accounts when it is initialised or restored, and account
  // maintenance must not add GTIDs that replicas then have to agree on.
  await session.query('SET SESSION sql_log_bin = 0');
  await session.query(`CREATE USER IF NOT EXISTS ${user} IDENTIFIED BY ${password}`);
  await session.query(`ALTER USER ${user} IDENTIFIED BY ${password}`);
  await session.query(`GRANT REPLICATION SLAVE ON *.* TO ${user}`);
  await session.query('SET SESSION sql_log_bin = 1');
}

/**
 * Stops following any source without losing what was already received: the receiving thread stops,
 * the applier finishes the relay log, then replication is reset.
 */
async function leaveSource(session: Session, node: EngineNode): Promise<void> {
  const status = await readReplicaStatus(session);
  if (status === undefined) return;
  await session.run(session.flavour.stopReceiving());
  const received = await readReplicaStatus(session);
  if (received !== undefined && received.sqlRunning && received.readFile !== '') {
    const row = await session.one(
      session.flavour.waitForRelayLog(received.readFile, received.readPos, DRAIN_TIMEOUT_SECONDS),
    );
    if (Number(row?.reached) !== 1) {
      throw new ReplicationTimeoutError(
        `node ${node.name} did not apply its relay log up to ${received.readFile}:${received.readPos} within ${DRAIN_TIMEOUT_SECONDS} s; not promoting it`,
      );
    }
  }
  await session.run(session.flavour.resetReplica());
}

export async function promote(context: DriverContext, node: EngineNode): Promise<void> {
  await withNode(node, async (session) => {
    await leaveSource(session, node);
    await setReadOnly(session, node, false);
  });
  context.log('mysql node promoted', { node: node.name });
}

export async function configureAsPrimary(context: DriverContext, node: EngineNode): Promise<void> {
  await withNode(node, async (session) => {
    await leaveSource(session, node);
    await ensureReplicationUser(session, node);
    await setReadOnly(session, node, false);
  });
  context.log('mysql node configured as primary', { node: node.name });
}

type Link = 'replica' | 'peer';

function followsAlready(session: Session, status: ReplicaStatusRow | undefined, source: EngineNode, link: Link) {
  const mode = session.flavour.name === 'mysql' ? 'auto' : link === 'peer' ? 'current_pos' : 'slave_pos';
  return (
    status !== undefined &&
    status.sourceHost === source.host &&
    status.sourcePort === source.port &&
    status.gtidMode === mode
  );
}

/** Refuses to follow a primary that lacks some of this node's transactions. */
async function assertNotDiverged(session: Session, node: EngineNode, source: EngineNode): Promise<void> {
  const mine = await readPosition(session);
  const theirs = await withNode(source, readPosition);
  const reason =
    session.flavour.name === 'mariadb'
      ? mariadbDivergence(mine, theirs)
      : mysqlGtidSetContains(theirs, mine)
        ? undefined
        : `it has transactions outside ${theirs || 'the empty set'}`;
  if (reason !== undefined) {
    throw new ReplicaDivergedError(
      `node ${node.name} cannot follow ${source.name}: ${reason}; erase it and restore it from a backup of ${source.name} (resync)`,
    );
  }
}

/** Waits until both replication threads run; throws on errors that retrying cannot fix. */
async function waitStreaming(session: Session, node: EngineNode, source: EngineNode): Promise<void> {
  const deadline = Date.now() + STREAMING_WAIT_MS;
  let last = 'no replication status';
  while (Date.now() < deadline) {
    const status = await readReplicaStatus(session);
    if (status === undefined) throw new NodeNotReadyError(`node ${node.name} lost its replication settings`);
    if (status.lastIoError?.startsWith(`${ER_MASTER_FATAL_READING_BINLOG}:`)) {
      throw new ReplicaDivergedError(
        `node ${node.name} cannot follow ${source.name}: ${status.lastIoError}; erase it and restore it from a backup of ${source.name} (resync)`,
      );
    }
    if (status.lastSqlError !== undefined) {
      throw new ReplicaDivergedError(
        `node ${node.name} stopped applying changes from ${source.name}: ${status.lastSqlError}; erase it and restore it from a backup of ${source.name} (resync)`,
      );
    }
    if (status.ioState === 'running' && status.sqlRunning) return;
    last = status.lastIoError ?? `receiver ${status.ioState}, applier ${status.sqlRunning ? 'running' : 'stopped'}`;
    await sleep(POLL_MS);
  }
  throw new NodeNotReadyError(
    `node ${node.name} does not replicate from ${source.name} (${source.host}:${source.port}) after ${STREAMING_WAIT_MS / 1000} s: ${last}`,
  );
}

/** Points the session's node at `source` unless it already follows it, then makes sure it streams. */
async function follow(session: Session, node: EngineNode, source: EngineNode, link: Link): Promise<void> {
  // Checked even when the node already follows `source`: a primary restored to an older backup is
  // the same source with a shorter history.
  if (link === 'replica') await assertNotDiverged(session, node, source);
  const status = await readReplicaStatus(session);
  if (!followsAlready(session, status, source, link)) {
    if (status !== undefined) await session.run(session.flavour.stopReplica());
    const row = await session.one(session.flavour.positions);
    await session.run(
      session.flavour.changeSource(
        {
          host: source.host,
          port: source.port,
          user: node.credentials.replicationUser,
          password: node.credentials.replicationPassword,
        },
        { binlog: String(row?.binlog ?? ''), applied: String(row?.applied ?? '') },
        link,
      ),
    );
  }
  const current = await readReplicaStatus(session);
  if (current === undefined || current.ioState === 'stopped' || !current.sqlRunning) {
    await session.run(session.flavour.startReplica());
  }
  await waitStreaming(session, node, source);
}

export async function configureAsReplica(context: DriverContext, node: EngineNode, primary: EngineNode): Promise<void> {
  if (node.host === primary.host && node.port === primary.port) {
    throw new UnsupportedOperationError(`node ${node.name} cannot replicate from itself`);
  }
  await withNode(node, async (session) => {
    const status = await readReplicaStatus(session);
    // A node that still takes writes (a former primary) is fenced before it changes sides; a replica
    // that already follows this primary keeps its readers.
    if (!followsAlready(session, status, primary, 'replica')) await fenceSession(session, node);
    else await setReadOnly(session, node, true);
    // Before replication starts: what the owner does through its procedures replicates into them.
    if (node.credentials.ownerUser) await ensureOwnerIn(session, node);
    await follow(session, node, primary, 'replica');
  });
  context.log('mysql node follows its primary', { node: node.name, primary: primary.name });
}

export async function waitForPosition(
  node: EngineNode,
  position: ReplicationPosition,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await withNode(node, async (session) => {
    for (;;) {
      const current = await readPosition(session);
      if (session.flavour.reached(current, position)) return;
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) {
        throw new ReplicationTimeoutError(
          `node ${node.name} did not reach position ${position} within ${timeoutMs} ms; it reached ${current || 'nothing'}`,
        );
      }
      // Wait in slices so the position (binlog and applied) is re-read regularly.
      const waitFor = session.flavour.name === 'mariadb' ? mariadbMissing(current, position) : position;
      await session.one(session.flavour.waitForPosition(waitFor, Math.min(remainingMs, 1_000) / 1_000));
    }
  });
}

/**
 * Two primaries replicating from each other. Each writes in its own GTID domain (1 and 2) and hands
 * out interleaved AUTO_INCREMENT values (offsets 1 and 2, increment 2), so their writes never collide
 * on generated keys. Sessions opened before this call keep their old auto-increment settings.
 */
export async function configureMultiMaster(context: DriverContext, a: EngineNode, b: EngineNode): Promise<void> {
  const sides: Array<[EngineNode, EngineNode, number]> = [
    [a, b, 1],
    [b, a, 2],
  ];
  for (const [node, , index] of sides) {
    await withNode(node, async (session) => {
      const settings = { gtidDomainId: index, autoIncrementIncrement: 2, autoIncrementOffset: index };
      await updateSettings(node, settings);
      await session.run(session.flavour.setWriteDomain(settings.gtidDomainId));
      await session.query({ sql: 'SET GLOBAL auto_increment_increment = ?', values: [2] });
      await session.query({ sql: 'SET GLOBAL auto_increment_offset = ?', values: [settings.autoIncrementOffset] });
      await ensureReplicationUser(session, node);
      await setReadOnly(session, node, false);
    });
  }
  for (const [node, peer] of sides) {
    await withNode(node, (session) => follow(session, node, peer, 'peer'));
  }
  context.log('mysql multi-master configured', { a: a.name, b: b.name });
}

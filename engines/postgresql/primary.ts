/**
 * The primary's side of the topology: making a node a writable primary, promoting a replica,
 * fencing a primary before a switchover, and waiting for a replica to reach a position.
 */
import { NodeNotReadyError, ReplicationTimeoutError } from '../errors';
import type { EngineNode, ReplicationPosition } from '../types';
import { FLAVOUR_EXTENSION, type DriverContext } from './context';
import { nodeLayout, readState, sameState, writeState, type NodeState } from './layout';
import { lsnReached, parseLsn } from './lsn';
import { ensureOwner } from './owner';
import { scramSha256Verifier } from './scram';
import { reloadConfig, sleep, startServer, terminateClientSessions, writeServerConfig } from './server';
import { adminTarget, connect, describeError, quoteIdent, quoteLiteral, withClient } from './sql';

export async function configurePrimary(ctx: DriverContext, node: EngineNode): Promise<void> {
  if (!(await accepting(node))) await startServer(ctx, node);
  await promoteNode(ctx, node);
  await withClient(adminTarget(node), async (client) => {
    const { replicationUser, replicationPassword } = node.credentials;
    const exists = await client.query('select 1 from pg_roles where rolname = $1', [replicationUser]);
    const verb = exists.rows.length > 0 ? 'alter' : 'create';
    // CREATE ROLE takes no parameters; the password goes as a SCRAM verifier, never in clear.
    await client.query(
      `${verb} role ${quoteIdent(replicationUser)} with login replication password ${quoteLiteral(
        scramSha256Verifier(replicationPassword),
      )}`,
    );
  });
  // The flavour's extension goes into template1 so every database created later has it too.
  const extension = FLAVOUR_EXTENSION[ctx.flavour];
  if (extension) {
    for (const database of ['template1', 'postgres']) {
      await withClient(adminTarget(node, database), (client) =>
        client.query(`create extension if not exists ${quoteIdent(extension)}`),
      );
    }
  }
  // After the extension: its script runs as superuser and must not meet objects the owner made.
  if (node.credentials.ownerUser) await ensureOwner(ctx, node);
}

async function accepting(node: EngineNode): Promise<boolean> {
  try {
    await withClient(adminTarget(node), (client) => client.query('select 1'), 3000);
    return true;
  } catch {
    return false;
  }
}

const PROMOTION_LIMIT_MS = 120_000;
const PROMOTION_POLL_MS = 5;

/** Promotes a standby (no-op on a primary) and leaves it unfenced and following nobody. */
export async function promoteNode(ctx: DriverContext, node: EngineNode): Promise<void> {
  const promoted = await withClient(adminTarget(node), async (client) => {
    const recovery = await client.query<{ r: boolean }>('select pg_is_in_recovery() as r');
    if (!recovery.rows[0]!.r) return false;
    // pg_promote(wait => true) checks ten times a second; asking without waiting and looking more
    // often ends the promotion (and the clients' downtime) up to 100 ms sooner.
    await client.query('select pg_promote(false)');
    const deadline = Date.now() + PROMOTION_LIMIT_MS;
    while (Date.now() < deadline) {
      const still = await client.query<{ r: boolean }>('select pg_is_in_recovery() as r');
      if (!still.rows[0]!.r) return true;
      await sleep(PROMOTION_POLL_MS);
    }
    throw new NodeNotReadyError(`node ${node.name} did not finish promotion within 120 s; see its log`);
  });
  const state = await readState(nodeLayout(node.dataDir));
  await applyState(ctx, node, { lineage: state.lineage, fenced: false });
  if (promoted) ctx.logger.info(`node ${node.name}: promoted to primary`);
}

/** Writes the state and, when it changed, renders the configuration and makes the server load it. */
async function applyState(ctx: DriverContext, node: EngineNode, wanted: NodeState): Promise<void> {
  const layout = nodeLayout(node.dataDir);
  const current = await readState(layout);
  if (sameState(current, wanted)) return;
  await writeState(layout, wanted);
  await writeServerConfig(ctx, node, wanted);
  await reloadConfig(node);
}

/**
 * Fences a primary for a switchover and returns the position that covers every write it has
 * acknowledged:
 *   1. pg_hba.conf admits only the orchestrator's admin user and replication, and every new
 *      transaction defaults to read-only; the reload is confirmed before going on;
 *   2. every other client session is ended, waiting until each has exited, so no commit of
 *      theirs can happen afterwards (a session-level `SET default_transaction_read_only = off`
 *      cannot help a client that cannot connect);
 *   3. the WAL insert position is read: every acknowledged commit lies before it.
 * The server keeps running (health checks and replicas keep working). Idempotent.
 */
export async function fenceNode(ctx: DriverContext, node: EngineNode): Promise<ReplicationPosition> {
  const inRecovery = await withClient(adminTarget(node), async (client) => {
    const recovery = await client.query<{ r: boolean }>('select pg_is_in_recovery() as r');
    return recovery.rows[0]!.r;
  });
  if (inRecovery) return replayPosition(node);
  const state = await readState(nodeLayout(node.dataDir));
  await applyState(ctx, node, { ...state, fenced: true });
  const client = await connect(adminTarget(node));
  try {
    while (true) {
      await terminateClientSessions(client);
      const position = await client.query<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn');
      // A session that was still authenticating under the old rules may have slipped in since;
      // then end it too and read the position again.
      const others = await client.query(
        `select 1 from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()`,
      );
      if (others.rows.length > 0) continue;
      ctx.logger.info(`node ${node.name}: fenced at ${position.rows[0]!.lsn}`);
      return position.rows[0]!.lsn;
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function replayPosition(node: EngineNode): Promise<ReplicationPosition> {
  return withClient(adminTarget(node), async (client) => {
    const result = await client.query<{ lsn: string }>(
      "select coalesce(pg_last_wal_replay_lsn(), pg_last_wal_receive_lsn(), '0/0')::text as lsn",
    );
    return result.rows[0]!.lsn;
  });
}

/** How far a node has got: replayed WAL on a standby, written WAL on a primary. */
export async function appliedPosition(node: EngineNode, timeoutMs = 3000): Promise<ReplicationPosition> {
  return withClient(
    adminTarget(node),
    async (client) => {
      const result = await client.query<{ lsn: string }>(
        `select (case when pg_is_in_recovery() then coalesce(pg_last_wal_replay_lsn(), '0/0')
                     else pg_current_wal_lsn() end)::text as lsn`,
      );
      return result.rows[0]!.lsn;
    },
    timeoutMs,
  );
}

export async function waitForNodePosition(
  node: EngineNode,
  wanted: ReplicationPosition,
  timeoutMs: number,
): Promise<void> {
  parseLsn(wanted); // a malformed position fails now (InvalidLsnError), not after the timeout
  const deadline = Date.now() + timeoutMs;
  let reached: string;
  while (true) {
    try {
      reached = await appliedPosition(node, Math.max(500, Math.min(3000, deadline - Date.now())));
      if (lsnReached(reached, wanted)) return;
    } catch (err) {
      reached = `unknown (${describeError(err)})`;
    }
    if (Date.now() >= deadline) {
      throw new ReplicationTimeoutError(
        `node ${node.name} reached ${reached} but ${wanted} was wanted within ${timeoutMs} ms`,
      );
    }
    await sleep(50);
  }
}

/**
 * Roles and replication: primary, replica of another node, fenced primary, promotion, and KeyDB's
 * multi-master. Each change is recorded in the node's state (and so in its configuration file) before it
 * is applied to the running server, so a server restarted at any point comes back in the role asked for.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { ReplicationTimeoutError, UnsupportedOperationError } from '../errors';
import type { EngineNode, ReplicationPosition } from '../types';
import { copyUsers, ensureOrchestratorUsers } from './acl';
import { openClient } from './client';
import { FENCE_MIN_REPLICAS, INITIAL_STATE, type NodeState } from './config';
import { address, adminTarget, withAdmin, type DriverContext } from './context';
import { parseInfo, replicationFacts, type ReplicationFacts } from './info';
import { hasReached, parsePosition, positionOf } from './position';
import { nodePaths, readState, saveState } from './node-files';
import { startNode, stopNode } from './lifecycle';
import { giveToServer } from '../server-user';

const POSITION_POLL_MS = 50;

async function currentState(node: EngineNode): Promise<NodeState> {
  return (await readState(nodePaths(node))) ?? INITIAL_STATE;
}

async function facts(client: Redis): Promise<ReplicationFacts> {
  return replicationFacts(parseInfo(await client.info('replication')));
}

function sameState(a: NodeState, b: NodeState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function record(ctx: DriverContext, node: EngineNode, state: NodeState): Promise<void> {
  if (sameState(await currentState(node), state)) return;
  await saveState(node, ctx.info.flavour, state);
  // The running server never reads these files, but its next start does (a resume, or the supervisor
  // restarting it after a crash), as the server's user, without going through startNode.
  await giveToServer(ctx.serverUser(), node.dataDir);
}

export async function configureAsPrimary(ctx: DriverContext, node: EngineNode): Promise<void> {
  const state = await currentState(node);
  await record(ctx, node, { role: 'primary', fenced: false, appendonly: state.appendonly });
  await withAdmin(node, async (client) => {
    await ensureOrchestratorUsers(client, node.credentials);
    if ((await facts(client)).role !== 'master') await client.call('REPLICAOF', 'NO', 'ONE');
    await client.config('SET', 'min-replicas-to-write', '0');
  });
  if (state.role !== 'primary' || state.fenced) ctx.log('node configured as primary', { node: node.name });
}

export async function configureAsReplica(ctx: DriverContext, node: EngineNode, primary: EngineNode): Promise<void> {
  if (node.host === primary.host && node.port === primary.port) {
    throw new UnsupportedOperationError(`node ${node.name} cannot replicate from itself`);
  }
  const state = await currentState(node);
  await record(ctx, node, {
    role: 'replica',
    primary: { host: primary.host, port: primary.port },
    fenced: false,
    appendonly: state.appendonly,
  });
  // Users live outside the dataset: copy the primary's so that they still work after a promotion.
  const primaryClient = await openClient(adminTarget(primary), { timeoutMs: 5000, commandTimeoutMs: 30_000 }).catch(
    () => undefined,
  );
  try {
    await withAdmin(node, async (client) => {
      if (primaryClient) await copyUsers(primaryClient, client);
      else ctx.log('primary unreachable: users not copied to the replica', { node: node.name, primary: primary.name });
      const current = await facts(client);
      if (current.role === 'slave' && current.primaryHost === primary.host && current.primaryPort === primary.port) {
        return;
      }
      await client.config('SET', 'min-replicas-to-write', '0');
      await client.call('REPLICAOF', primary.host, String(primary.port));
      if (current.role !== 'slave') {
        // Clients still connected to a former primary would only get READONLY errors: disconnect them so
        // they reconnect through the cluster endpoint to the new primary (Redis Sentinel does the same).
        await client.call('CLIENT', 'KILL', 'TYPE', 'normal');
        await client.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      }
      ctx.log('node replicating', { node: node.name, primary: primary.name, was: current.role });
    });
  } finally {
    primaryClient?.disconnect();
  }
}

export async function fence(ctx: DriverContext, node: EngineNode): Promise<ReplicationPosition> {
  const state = await currentState(node);
  if (state.role === 'primary' && !state.peers) await record(ctx, node, { ...state, fenced: true });
  return withAdmin(node, async (client) => {
    const before = await facts(client);
    if (before.role === 'slave') return positionOf(before);
    // From this command on every write fails with NOREPLICAS. Writes acknowledged before it are already
    // in the replication stream (a reply goes out after its command was propagated), so the offset read
    // next covers every write any client was told succeeded.
    await client.config('SET', 'min-replicas-to-write', String(FENCE_MIN_REPLICAS));
    const position = positionOf(await facts(client));
    if (!state.fenced) ctx.log('node fenced', { node: node.name, position });
    return position;
  });
}

export async function waitForPosition(
  node: EngineNode,
  position: ReplicationPosition,
  timeoutMs: number,
): Promise<void> {
  const wanted = parsePosition(position);
  const deadline = Date.now() + timeoutMs;
  let reached: string | undefined;
  let problem = '';
  do {
    try {
      const client = await openClient(adminTarget(node), { timeoutMs: 2000, commandTimeoutMs: 2000 });
      try {
        const current = await facts(client);
        reached = positionOf(current);
        if (hasReached(current, wanted)) return;
      } finally {
        client.disconnect();
      }
    } catch (err) {
      problem = ` (last error: ${(err as Error).message})`;
    }
    await sleep(POSITION_POLL_MS);
  } while (Date.now() < deadline);
  throw new ReplicationTimeoutError(
    `node ${node.name} reached replication position ${reached ?? 'unknown'} but ${position} was wanted within ${timeoutMs} ms${problem}`,
  );
}

export async function promote(ctx: DriverContext, node: EngineNode): Promise<void> {
  const state = await currentState(node);
  if (state.role === 'replica' && state.primary) await takeUsersFrom(ctx, node, state.primary);
  await record(ctx, node, { role: 'primary', fenced: false, appendonly: state.appendonly });
  await withAdmin(node, async (client) => {
    const before = await facts(client);
    // REPLICAOF NO ONE keeps the dataset and the replication history (PSYNC2), so the other nodes
    // re-pointed here continue with a partial resynchronisation.
    if (before.role === 'slave') await client.call('REPLICAOF', 'NO', 'ONE');
    await client.config('SET', 'min-replicas-to-write', '0');
    if (before.role === 'slave') ctx.log('node promoted', { node: node.name, offset: before.offset });
  });
}

/**
 * Users made on the primary after this replica joined exist only there (ACLs do not replicate), and
 * re-pointing the other nodes copies this node's users onto them: without this, those users could
 * no longer log in anywhere once the endpoint points here. A primary that does not answer (failover)
 * keeps its users to itself; the replica keeps those it copied when it joined.
 */
async function takeUsersFrom(ctx: DriverContext, node: EngineNode, primary: { host: string; port: number }) {
  const primaryClient = await openClient(adminTarget({ ...node, host: primary.host, port: primary.port }), {
    timeoutMs: 5000,
    commandTimeoutMs: 30_000,
  }).catch(() => undefined);
  if (!primaryClient) {
    ctx.log('primary unreachable: users not copied before promotion', { node: node.name, primary: address(primary) });
    return;
  }
  try {
    await withAdmin(node, (client) => copyUsers(primaryClient, client));
  } finally {
    primaryClient.disconnect();
  }
}

/** KeyDB only: both nodes take writes and replicate from each other (active replication). */
export async function configureMultiMaster(ctx: DriverContext, a: EngineNode, b: EngineNode): Promise<void> {
  if (!ctx.info.multiMaster) {
    throw new UnsupportedOperationError(
      `${ctx.info.flavour} cannot run multi-master: only KeyDB replicates between two writable primaries; use primary-replica mode`,
    );
  }
  for (const [node, peer] of [
    [a, b],
    [b, a],
  ] as const) {
    const state = await currentState(node);
    const wanted: NodeState = {
      role: 'primary',
      fenced: false,
      appendonly: state.appendonly,
      peers: [{ host: peer.host, port: peer.port }],
    };
    if (sameState(state, wanted)) continue;
    await saveState(node, ctx.info.flavour, wanted);
    // multi-master cannot be switched on at runtime: restart with the new configuration.
    await stopNode(ctx, node);
    await startNode(ctx, node);
    ctx.log('node replicating multi-master', { node: node.name, peer: address(peer) });
  }
}

/**
 * What a node reports about itself: up or not, role, whether it takes writes, its replication offset,
 * and for a replica how far behind its primary it is. Never throws: a node that cannot be asked is down.
 */
import type { Redis } from 'ioredis';
import type { EngineNode, NodeHealth, ReplicationStatus } from '../types';
import { openClient, redact } from './client';
import { adminTarget, type DriverContext } from './context';
import { infoInt, isLoading, parseInfo, replicationFacts, serverVersion, type ReplicationFacts } from './info';
import { bytesBehind, positionOf } from './position';

const HEALTH_TIMEOUT_MS = 2000;

function down(node: EngineNode, err: unknown): NodeHealth {
  const message = err instanceof Error ? err.message : String(err);
  return {
    up: false,
    role: 'unknown',
    readOnly: true,
    error: redact(message, [node.credentials.adminPassword, node.credentials.replicationPassword]),
  };
}

/** Reads a configuration parameter; CONFIG GET answers [name, value]. */
export async function configValue(client: Redis, name: string): Promise<string | undefined> {
  const reply = (await client.config('GET', name)) as string[];
  return reply[1];
}

/** A primary refuses writes when it demands more good replicas than it has (our fence does exactly that). */
async function primaryRefusesWrites(
  client: Redis,
  info: Map<string, string>,
  facts: ReplicationFacts,
): Promise<boolean> {
  const needed = Number(await configValue(client, 'min-replicas-to-write'));
  if (!needed) return false;
  const good = infoInt(info, 'min_slaves_good_slaves') ?? facts.onlineReplicas;
  return good < needed;
}

async function replicationStatus(
  ctx: DriverContext,
  node: EngineNode,
  facts: ReplicationFacts,
): Promise<ReplicationStatus> {
  const primary = `${facts.primaryHost}:${facts.primaryPort}`;
  const status: ReplicationStatus = {
    primary,
    state: facts.linkUp ? 'streaming' : 'connecting',
    lagBytes: null,
    lagSeconds: null,
  };
  if (!facts.linkUp) {
    status.lastError =
      facts.linkDownSeconds !== undefined
        ? `link to the primary down for ${facts.linkDownSeconds} s`
        : facts.syncInProgress
          ? 'full synchronisation from the primary in progress'
          : 'not connected to the primary yet';
  }
  // The primary's current offset: the cluster's admin user is the same on every node.
  try {
    const client = await openClient(
      { ...adminTarget(node), host: facts.primaryHost ?? '', port: facts.primaryPort ?? 0 },
      { timeoutMs: HEALTH_TIMEOUT_MS, commandTimeoutMs: HEALTH_TIMEOUT_MS },
    );
    try {
      const primaryFacts = replicationFacts(parseInfo(await client.info('replication')));
      ctx.lagClock.record(primary, primaryFacts.offset);
      // Unknown while the replica is not yet in the primary's history (a full synchronisation under way).
      const behind = bytesBehind(primaryFacts, facts);
      if (behind !== undefined) {
        status.lagBytes = behind;
        status.lagSeconds = behind === 0 ? 0 : ctx.lagClock.secondsBehind(primary, facts.offset);
      }
    } finally {
      client.disconnect();
    }
  } catch {
    // Unknown lag: the primary cannot be asked (the status says so through null values).
  }
  return status;
}

export async function nodeHealth(ctx: DriverContext, node: EngineNode): Promise<NodeHealth> {
  let client: Redis;
  try {
    client = await openClient(adminTarget(node), { timeoutMs: HEALTH_TIMEOUT_MS, commandTimeoutMs: HEALTH_TIMEOUT_MS });
  } catch (err) {
    return down(node, err);
  }
  try {
    const info = parseInfo(await client.info());
    const version = serverVersion(info);
    if (isLoading(info)) return { ...down(node, 'loading its dataset into memory'), version };
    const facts = replicationFacts(info);
    const position = positionOf(facts);
    if (facts.role === 'slave') {
      return {
        up: true,
        role: 'replica',
        readOnly: info.get('slave_read_only') !== '0',
        version,
        position,
        replication: await replicationStatus(ctx, node, facts),
      };
    }
    // A primary, or a KeyDB active replica (writable, and following its peers).
    const health: NodeHealth = {
      up: true,
      role: 'primary',
      readOnly: await primaryRefusesWrites(client, info, facts),
      version,
      position,
    };
    if (facts.primaryHost !== undefined) health.replication = await replicationStatus(ctx, node, facts);
    return health;
  } catch (err) {
    return down(node, err);
  } finally {
    client.disconnect();
  }
}

/**
 * Making a node a streaming replica of a primary: a physical replication slot on the primary per
 * replica, then either re-pointing the existing data (pg_rewind first, which is a no-op when the
 * node has not diverged) or seeding it afresh with pg_basebackup.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EngineNode } from '../types';
import { installationOf, type DriverContext } from './context';
import { readControlData } from './control-data';
import { nodeLayout, readState, sameState, slotNameFor, writeState, type NodeState } from './layout';
import { giveToServerUser } from './os-user';
import { runTool, runToolChecked } from './run-tool';
import { conninfoValue } from './server-config';
import { hasData, sleep, startServer, stopServer, writeServerConfig } from './server';
import { adminTarget, describeError, withClient } from './sql';
import { UnsupportedOperationError } from '../errors';

interface PrimaryFacts {
  systemIdentifier: string;
  timeline: number;
  lineage: string | undefined;
}

export async function configureReplica(ctx: DriverContext, node: EngineNode, primary: EngineNode): Promise<void> {
  const slot = slotNameFor(node.name);
  const facts = await preparePrimary(primary, slot);
  const layout = nodeLayout(node.dataDir);
  const current = await readState(layout);
  const wanted: NodeState = {
    lineage: facts.lineage,
    upstream: { host: primary.host, port: primary.port, slot },
    fenced: false,
  };
  if (sameState(current, wanted) && (await isRunningStandby(node))) return;

  await stopServer(ctx, node);
  const how = current.lineage === facts.lineage ? await chooseJoinMethod(ctx, node, facts) : 'seed';
  if (how === 'rewind' && !(await rewind(ctx, node, primary))) await seed(ctx, node, primary, slot);
  if (how === 'seed') await seed(ctx, node, primary, slot);

  await writeState(layout, wanted);
  await writeServerConfig(ctx, node, wanted);
  await markAsStandby(layout.pgdata);
  await startServer(ctx, node);
  if (how === 'rewind' && !(await streamsTimeline(node, facts.timeline, FOLLOW_TIMEOUT_MS))) {
    // Safety net: the standby cannot follow (its WAL went past the primary's fork point).
    ctx.logger.warn(`node ${node.name}: not following ${primary.name}'s timeline ${facts.timeline}, seeding afresh`);
    await stopServer(ctx, node);
    await seed(ctx, node, primary, slot);
    await markAsStandby(layout.pgdata);
    await startServer(ctx, node);
  }
  await dropLeftoverSlots(ctx, node);
  ctx.logger.info(
    `node ${node.name}: replicating from ${primary.name} (${primary.host}:${primary.port}) via slot ${slot}`,
  );
}

async function isRunningStandby(node: EngineNode): Promise<boolean> {
  try {
    return await withClient(
      adminTarget(node),
      async (client) => (await client.query<{ r: boolean }>('select pg_is_in_recovery() as r')).rows[0]!.r,
      3000,
    );
  } catch {
    return false;
  }
}

/** Checks the primary is one and has this replica's slot; returns what decides how the replica joins. */
async function preparePrimary(primary: EngineNode, slot: string): Promise<PrimaryFacts> {
  return withClient(adminTarget(primary), async (client) => {
    const info = await client.query<{ recovery: boolean; sid: string; wal: string | null; lineage: string | null }>(
      `select pg_is_in_recovery() as recovery, (select system_identifier::text from pg_control_system()) as sid,
              nullif(current_setting('orchestrator.lineage', true), '') as lineage,
              case when pg_is_in_recovery() then null else pg_walfile_name(pg_current_wal_lsn()) end as wal`,
    );
    const row = info.rows[0]!;
    if (row.recovery || row.wal === null) {
      throw new UnsupportedOperationError(
        `node ${primary.name} is itself a replica; promote it or pick the current primary to replicate from`,
      );
    }
    await client.query(
      `select pg_create_physical_replication_slot($1, true)
        where not exists (select 1 from pg_replication_slots where slot_name = $1)`,
      [slot],
    );
    // A WAL file name starts with the timeline in 8 hex digits.
    return {
      systemIdentifier: row.sid,
      timeline: parseInt(row.wal.slice(0, 8), 16),
      lineage: row.lineage ?? undefined,
    };
  });
}

/**
 * (Called for a node of the primary's lineage.) A node without data, or from another cluster, is seeded. A standby of any timeline, or a former
 * primary on an older timeline than the primary's (the primary was promoted from its lineage), is
 * rewound. A former primary on the primary's own timeline or a newer one (a restored copy that has
 * run on its own) may have diverged in a way pg_rewind cannot see, so it is seeded afresh.
 */
async function chooseJoinMethod(
  ctx: DriverContext,
  node: EngineNode,
  primary: PrimaryFacts,
): Promise<'rewind' | 'seed'> {
  if (!hasData(node)) return 'seed';
  let control;
  try {
    control = await readControlData(installationOf(ctx, node), nodeLayout(node.dataDir).pgdata);
  } catch (err) {
    ctx.logger.warn(`node ${node.name}: unreadable control data, seeding afresh (${describeError(err)})`);
    return 'seed';
  }
  if (control.systemIdentifier !== primary.systemIdentifier) return 'seed';
  const wasStandby = control.clusterState.includes('recovery');
  if (wasStandby) return 'rewind';
  return control.timeline < primary.timeline ? 'rewind' : 'seed';
}

/** How long a re-pointed standby may take to start streaming the primary's timeline. */
const FOLLOW_TIMEOUT_MS = 20_000;

/** Whether the standby's WAL receiver streams the primary's current timeline within the time given. */
async function streamsTimeline(node: EngineNode, timeline: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const following = await withClient(adminTarget(node), async (client) => {
        const result = await client.query<{ ok: boolean }>(
          `select coalesce((select status = 'streaming' and received_tli = $1 from pg_stat_wal_receiver), false) as ok`,
          [timeline],
        );
        return result.rows[0]!.ok;
      });
      if (following) return true;
    } catch {
      // Not accepting sessions yet; keep waiting.
    }
    await sleep(200);
  }
  return false;
}

/** Runs pg_rewind against the primary; false when it could not (the caller then seeds). */
async function rewind(ctx: DriverContext, node: EngineNode, primary: EngineNode): Promise<boolean> {
  const installation = installationOf(ctx, node);
  const source = [
    `host=${conninfoValue(primary.host)}`,
    `port=${primary.port}`,
    `user=${conninfoValue(primary.credentials.adminUser)}`,
    'dbname=postgres',
    'connect_timeout=10',
  ].join(' ');
  // PostgreSQL 15's pg_rewind reads the source's timeline from its control file, which a just
  // promoted server only updates at its next checkpoint; without one it would wrongly find nothing
  // to rewind.
  await withClient(adminTarget(primary), (client) => client.query('checkpoint'));
  const result = await runTool({
    command: path.join(installation.bindir, 'pg_rewind'),
    args: [`--target-pgdata=${nodeLayout(node.dataDir).pgdata}`, `--source-server=${source}`],
    env: { PGPASSWORD: primary.credentials.adminPassword },
    asServerUser: true,
    timeoutMs: 600_000,
  });
  if (result.code === 0) {
    const said = /no rewind required/.test(result.stderr + result.stdout) ? 'no rewind was needed' : 'rewound';
    ctx.logger.info(`node ${node.name}: ${said} against ${primary.name}`);
    return true;
  }
  ctx.logger.warn(`node ${node.name}: pg_rewind failed, seeding afresh: ${result.stderr.trim().split('\n').pop()}`);
  return false;
}

/** Replaces the node's data with a pg_basebackup of the primary, streaming WAL through the replica's slot. */
async function seed(ctx: DriverContext, node: EngineNode, primary: EngineNode, slot: string): Promise<void> {
  const layout = nodeLayout(node.dataDir);
  const staging = `${layout.pgdata}.seeding`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o700 });
  await giveToServerUser(staging);
  await runToolChecked({
    command: path.join(installationOf(ctx, node).bindir, 'pg_basebackup'),
    args: [
      `--host=${primary.host}`,
      `--port=${primary.port}`,
      `--username=${node.credentials.replicationUser}`,
      `--pgdata=${staging}`,
      '--wal-method=stream',
      `--slot=${slot}`,
      '--checkpoint=fast',
      '--no-password',
    ],
    env: { PGPASSWORD: node.credentials.replicationPassword },
    asServerUser: true,
    timeoutMs: 24 * 3600_000,
  }).catch(async (err: unknown) => {
    await rm(staging, { recursive: true, force: true });
    throw err;
  });
  await rm(layout.pgdata, { recursive: true, force: true });
  await rename(staging, layout.pgdata);
  ctx.logger.info(`node ${node.name}: seeded from ${primary.name} with pg_basebackup`);
}

async function markAsStandby(pgdata: string): Promise<void> {
  await rm(path.join(pgdata, 'recovery.signal'), { force: true });
  const signal = path.join(pgdata, 'standby.signal');
  await writeFile(signal, '', { mode: 0o600 });
  await giveToServerUser(signal);
}

/**
 * A former primary keeps the slots of its old replicas; on a standby they would hold back WAL
 * forever. This topology has no cascading replicas, so every inactive slot on a replica is stale.
 */
async function dropLeftoverSlots(ctx: DriverContext, node: EngineNode): Promise<void> {
  try {
    await withClient(adminTarget(node), (client) =>
      client.query('select pg_drop_replication_slot(slot_name) from pg_replication_slots where not active'),
    );
  } catch (err) {
    ctx.logger.warn(`node ${node.name}: could not drop leftover replication slots (${describeError(err)})`);
  }
}

/** Drops the slot a removed replica used on the primary, so it no longer holds back WAL. Idempotent. */
export async function dropReplicaSlot(primary: EngineNode, replicaName: string): Promise<void> {
  const slot = slotNameFor(replicaName);
  await withClient(adminTarget(primary), async (client) => {
    const deadline = Date.now() + 30_000;
    while (true) {
      const found = await client.query<{ active_pid: number | null }>(
        'select active_pid from pg_replication_slots where slot_name = $1',
        [slot],
      );
      if (found.rows.length === 0) return;
      const pid = found.rows[0]!.active_pid;
      if (pid === null) {
        await client.query('select pg_drop_replication_slot($1)', [slot]);
        return;
      }
      if (Date.now() > deadline) throw new Error(`slot ${slot} on ${primary.name} is still in use by a replica`);
      // The replica is still connected; end its walsender so the slot becomes free.
      await client.query('select pg_terminate_backend($1, 5000)', [pid]);
      await sleep(100);
    }
  });
}

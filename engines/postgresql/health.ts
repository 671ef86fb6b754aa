/**
 * Node health as the engine sees it. Never throws for a node that is down: it answers `up: false`
 * with the reason, and for a replica still reports how far behind its primary's slot is.
 */
import type { EngineNode, NodeHealth, ReplicationStatus } from '../types';
import { nodeLayout, readState, type UpstreamAddress } from './layout';
import { adminTarget, describeError, withClient } from './sql';

const HEALTH_CONNECT_TIMEOUT_MS = 3000;

interface NodeFacts {
  version: string;
  recovery: boolean;
  readOnlyDefault: boolean;
  position: string;
  /** Standby only. */
  receiveLsn: string | null;
  replaySeconds: number | null;
  paused: boolean;
  receiverStatus: string | null;
}

export async function nodeHealth(node: EngineNode): Promise<NodeHealth> {
  const state = await readState(nodeLayout(node.dataDir)).catch(() => undefined);
  let facts: NodeFacts;
  try {
    facts = await readFacts(node);
  } catch (err) {
    const down: NodeHealth = { up: false, role: 'unknown', readOnly: true, error: describeError(err) };
    if (state?.upstream) down.replication = await lagWhileDown(node, state.upstream);
    return down;
  }
  if (!facts.recovery) {
    return {
      up: true,
      role: 'primary',
      readOnly: (state?.fenced ?? false) || facts.readOnlyDefault,
      version: facts.version,
      position: facts.position,
    };
  }
  return {
    up: true,
    role: 'replica',
    readOnly: true,
    version: facts.version,
    position: facts.position,
    replication: await standbyReplication(node, state?.upstream, facts),
  };
}

async function readFacts(node: EngineNode): Promise<NodeFacts> {
  return withClient(
    adminTarget(node),
    async (client) => {
      const result = await client.query<{
        version: string;
        recovery: boolean;
        ro: string;
        position: string;
        receive: string | null;
        replay_seconds: number | null;
        paused: boolean;
        receiver: string | null;
      }>(
        `select current_setting('server_version') as version,
                pg_is_in_recovery() as recovery,
                current_setting('default_transaction_read_only') as ro,
                (case when pg_is_in_recovery() then coalesce(pg_last_wal_replay_lsn(), '0/0')
                      else pg_current_wal_lsn() end)::text as position,
                pg_last_wal_receive_lsn()::text as receive,
                extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 as replay_seconds,
                pg_is_in_recovery() and pg_get_wal_replay_pause_state() <> 'not paused' as paused,
                (select status from pg_stat_wal_receiver) as receiver`,
      );
      const row = result.rows[0]!;
      return {
        version: row.version,
        recovery: row.recovery,
        readOnlyDefault: row.ro === 'on',
        position: row.position,
        receiveLsn: row.receive,
        replaySeconds: row.replay_seconds,
        paused: row.paused,
        receiverStatus: row.receiver,
      };
    },
    HEALTH_CONNECT_TIMEOUT_MS,
  );
}

async function standbyReplication(
  node: EngineNode,
  upstream: UpstreamAddress | undefined,
  facts: NodeFacts,
): Promise<ReplicationStatus> {
  const state: ReplicationStatus['state'] = facts.paused
    ? 'stopped'
    : facts.receiverStatus === 'streaming'
      ? 'streaming'
      : upstream
        ? 'connecting'
        : 'stopped';
  const status: ReplicationStatus = {
    primary: upstream ? `${upstream.host}:${upstream.port}` : 'unknown',
    state,
    lagBytes: null,
    lagSeconds: null,
  };
  if (!upstream) return status;
  try {
    const onPrimary = await withClient(
      { ...adminTarget(node), host: upstream.host, port: upstream.port },
      async (client) => {
        const result = await client.query<{ lag: string; replay_lag: number | null }>(
          `select greatest(pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn), 0)::text as lag,
                  (select extract(epoch from replay_lag)::float8 from pg_stat_replication
                    where application_name = $2 order by backend_start desc limit 1) as replay_lag`,
          [facts.position, node.name],
        );
        return result.rows[0]!;
      },
      HEALTH_CONNECT_TIMEOUT_MS,
    );
    status.lagBytes = Number(onPrimary.lag);
    status.lagSeconds = lagSeconds(status.lagBytes, onPrimary.replay_lag, facts.replaySeconds);
  } catch (err) {
    status.lastError = `primary ${status.primary} not answering: ${describeError(err)}`;
    if (state === 'streaming') status.state = 'error';
  }
  return status;
}

/**
 * Seconds behind: 0 when nothing is left to replay; otherwise the primary's own measure for this
 * replica (pg_stat_replication.replay_lag, which stays right when the primary only writes
 * background WAL); when the replica is not connected to the primary, the age of its last replayed
 * transaction.
 */
export function lagSeconds(lagBytes: number, primaryReplayLag: number | null, sinceLastReplay: number | null) {
  if (lagBytes === 0) return 0;
  if (primaryReplayLag !== null) return Math.max(0, primaryReplayLag);
  return sinceLastReplay === null ? null : Math.max(0, sinceLastReplay);
}

/** A stopped replica's lag, from what its slot on the primary still holds back. */
async function lagWhileDown(node: EngineNode, upstream: UpstreamAddress): Promise<ReplicationStatus> {
  const status: ReplicationStatus = {
    primary: `${upstream.host}:${upstream.port}`,
    state: 'stopped',
    lagBytes: null,
    lagSeconds: null,
  };
  try {
    status.lagBytes = await withClient(
      { ...adminTarget(node), host: upstream.host, port: upstream.port },
      async (client) => {
        const result = await client.query<{ lag: string | null }>(
          `select pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text as lag
             from pg_replication_slots where slot_name = $1`,
          [upstream.slot],
        );
        const lag = result.rows[0]?.lag;
        return lag === undefined || lag === null ? null : Math.max(0, Number(lag));
      },
      HEALTH_CONNECT_TIMEOUT_MS,
    );
  } catch (err) {
    status.lastError = `primary ${status.primary} not answering: ${describeError(err)}`;
  }
  return status;
}

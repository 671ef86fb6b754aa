/**
 * One engine's run: deploy a primary + 2 replicas cluster through its entity, make the writer's
 * table/user, start the writer on the cluster endpoint, promote round the ring `rounds` times, then
 * delete the cluster so its processes do not weigh on the next engine's figures.
 */
import type { Client } from '@temporalio/client';
import { ClusterSession } from '../../test/e2e/e2e-cluster';
import type { EngineKit } from '../../test/e2e/e2e-engine-kit';
import { mysqlKit } from '../../test/e2e/e2e-kit-mysql';
import { postgresKit } from '../../test/e2e/e2e-kit-postgresql';
import { redisKit } from '../../test/e2e/e2e-kit-redis';
import { credentialsQuery, deleteClusterUpdate } from '../../workflows/cluster-api';
import type { BenchEngine } from './options';
import { ACKS_AFTER, measurePromotion, primaryOf, privateAddress, type RoundResult } from './round';
import { TimedWriter } from './writer';

const KITS: Record<BenchEngine, EngineKit> = { postgresql: postgresKit, mysql: mysqlKit, redis: redisKit };
const CLUSTER_NAMES: Record<BenchEngine, string> = {
  postgresql: 'promo-pg',
  mysql: 'promo-mysql',
  redis: 'promo-redis',
};
const PLAN = { cpu: 1, ramMb: 512, diskGb: 10 };
const REPLICAS = 2;
const ACTOR = 'promotion-bench';
/** Guard for the delete at the end of an engine's run (a few seconds normally). */
const DELETE_LIMIT_MS = 120_000;

export interface EngineResult {
  engine: BenchEngine;
  version: string;
  deployMs?: number;
  rounds: RoundResult[];
  /** Why the run stopped early. */
  error?: string;
}

export async function benchmarkEngine(
  client: Client,
  engine: BenchEngine,
  rounds: number,
  log: (line: string) => void,
): Promise<EngineResult> {
  const kit = KITS[engine];
  const name = CLUSTER_NAMES[engine];
  const result: EngineResult = { engine, version: kit.version, rounds: [] };
  const session = new ClusterSession(client, name);
  try {
    log(`${engine}: deploying ${name} (1 primary + ${REPLICAS} replicas)`);
    const deploy = await session.create({
      name,
      engine,
      version: kit.version,
      mode: 'primary-replica',
      replicas: REPLICAS,
      plan: PLAN,
    });
    result.deployMs = deploy.ms;
    let view = deploy.view;
    const credentials = await session.handle.query(credentialsQuery);
    await kit.prepare(privateAddress(primaryOf(view)), credentials);

    const writer = new TimedWriter(kit, view.endpoint!);
    writer.start();
    try {
      await writer.acknowledgedAfter(0, ACKS_AFTER);
      for (let round = 1; round <= rounds; round++) {
        const measured = await measurePromotion({ session, kit, credentials, writer }, view, round);
        view = measured.view;
        result.rounds.push(measured.result);
        log(describeRound(engine, measured.result));
      }
    } finally {
      await writer.stop();
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`${engine}: stopped: ${result.error}`);
  } finally {
    await deleteCluster(session, log);
  }
  return result;
}

/** Best effort, bounded: whatever it leaves is reaped when the benchmark ends. */
async function deleteCluster(session: ClusterSession, log: (line: string) => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no outcome within ${DELETE_LIMIT_MS} ms`)), DELETE_LIMIT_MS);
  });
  try {
    await Promise.race([
      session.run(deleteClusterUpdate, { actor: ACTOR, confirm: session.name, skipFinalBackup: true }),
      limit,
    ]);
  } catch (err) {
    log(`deleting ${session.name} failed (its processes are reaped at the end): ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

function describeRound(engine: string, r: RoundResult): string {
  const u = r.unavailability;
  return (
    `${engine} round ${r.round}: ${r.from} → ${r.to}: downtime ${u.gapMs} ms, ${u.failedWrites} failed writes, ` +
    `operation ${(r.operationMs / 1000).toFixed(1)} s, ${r.lostWrites} of ${r.checkedWrites} acknowledged writes lost` +
    (r.refusals > 0 ? `, ${r.refusals} health-gate refusals first` : '')
  );
}

/** Steps several operations share: seeding a replica from a fresh backup of the primary. */
import { acts, longActs, type OperationContext, targetOf } from './operation';
import type { NodeInfo } from './types';

/**
 * Makes `replica` a copy of `primary`: takes a backup of the primary into `backupKey`, restores
 * it on the replica, starts replication from the primary and deletes the temporary backup.
 */
export async function seedReplica(
  context: Pick<OperationContext, 'spec' | 'credentials'>,
  replica: NodeInfo,
  primary: NodeInfo,
  backupKey: string,
): Promise<void> {
  const seed = await longActs.takeBackup(targetOf(context, primary), backupKey);
  await longActs.restoreBackup(targetOf(context, replica), seed);
  await acts.configureReplica(targetOf(context, replica), targetOf(context, primary));
  await acts.deleteBackup(seed.key);
}

/**
 * Waits until `replica` has everything the primary has written so far (its current position).
 */
export async function waitCaughtUp(
  context: Pick<OperationContext, 'spec' | 'credentials'>,
  replica: NodeInfo,
  primary: NodeInfo,
  timeoutMs = 10 * 60_000,
): Promise<void> {
  const health = await acts.nodeHealth(targetOf(context, primary));
  if (health.position) await acts.waitForPosition(targetOf(context, replica), health.position, timeoutMs);
}

/**
 * Backups are RDB snapshots received over the replication protocol (see rdb-stream.ts) and streamed
 * straight into the backup store; the artifact's position is the offset the server announced for the
 * snapshot. A restore writes the snapshot in place of the node's data and starts the server on it.
 */
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { InsufficientDiskError, UnsupportedOperationError } from '../errors';
import type { BackupArtifact, BackupStore, EngineName, EngineNode } from '../types';
import { INITIAL_STATE } from './config';
import { nodeConnectError, replicationTarget, withAdmin, type DriverContext } from './context';
import { aofRewritePending, parseInfo } from './info';
import { createNodeFiles, nodePaths, readState, removeDataFiles, saveState } from './node-files';
import { formatPosition } from './position';
import { openRdbSnapshot } from './rdb-stream';
import { startNode, stopNode } from './lifecycle';
import { giveToServer } from '../server-user';

/** Engines whose backups are RDB snapshots this driver can load. */
const RDB_ENGINES: EngineName[] = ['redis', 'keydb', 'valkey'];

const AOF_POLL_MS = 100;

export async function backupNode(
  ctx: DriverContext,
  node: EngineNode,
  store: BackupStore,
  key: string,
): Promise<BackupArtifact> {
  let snapshot;
  try {
    snapshot = await openRdbSnapshot(replicationTarget(node), { connectTimeoutMs: 5000, idleTimeoutMs: 60_000 });
  } catch (err) {
    throw nodeConnectError(node, err);
  }
  const stored = await store.put(key, snapshot.stream);
  const position = formatPosition(snapshot.replicationId, snapshot.offset);
  const artifact: BackupArtifact = { ...stored, engine: node.engine, position };
  ctx.log('backup stored', { node: node.name, key, sizeBytes: stored.sizeBytes, position: artifact.position });
  return artifact;
}

/** Waits for the append-only file rewrite that `CONFIG SET appendonly yes` starts, and checks it worked. */
async function enableAppendOnly(node: EngineNode): Promise<void> {
  await withAdmin(node, async (client) => {
    await client.config('SET', 'appendonly', 'yes');
    while (true) {
      const info = parseInfo(await client.info('persistence'));
      if (!aofRewritePending(info)) {
        if (info.get('aof_last_bgrewrite_status') !== 'ok') {
          throw new Error(`node ${node.name} could not write its append-only file after the restore; see its log`);
        }
        return;
      }
      await sleep(AOF_POLL_MS);
    }
  });
}

export async function restoreNode(
  ctx: DriverContext,
  node: EngineNode,
  store: BackupStore,
  artifact: BackupArtifact,
): Promise<void> {
  if (!RDB_ENGINES.includes(artifact.engine)) {
    throw new UnsupportedOperationError(
      `backup ${artifact.key} is a ${artifact.engine} backup; node ${node.name} runs ${node.engine} and loads only RDB snapshots`,
    );
  }
  await store.verify(artifact);
  const paths = nodePaths(node);
  const free = await ctx.freeDiskBytes(node.dataDir);
  if (free < artifact.sizeBytes) {
    throw new InsufficientDiskError(
      `node ${node.name} has ${free} bytes free but backup ${artifact.key} is ${artifact.sizeBytes} bytes; give the node a larger disk`,
    );
  }
  // A node restored before it was ever initialised (a new cluster from a backup) needs its files first.
  await createNodeFiles(node, ctx.info.flavour);
  const state = (await readState(paths)) ?? INITIAL_STATE;
  // The snapshot is copied next to the data while the node still runs: nothing of the node's data is
  // removed before the whole backup has been read (a store that fails half-way leaves the node as it was).
  const staged = path.join(node.dataDir, 'restore.rdb.partial');
  try {
    await pipeline(store.get(artifact.key), createWriteStream(staged, { mode: 0o600 }));
    const handle = await open(staged, 'r');
    await handle.sync().finally(() => handle.close());
  } catch (err) {
    await rm(staged, { force: true });
    throw err;
  }
  await stopNode(ctx, node);
  await removeDataFiles(paths);
  await rename(staged, path.join(paths.dataDir, 'dump.rdb'));
  // With the append-only file on, the server would ignore dump.rdb and start empty: start from the
  // snapshot with it off, then switch it on, which writes a fresh append-only file from memory.
  await saveState(node, ctx.info.flavour, { role: 'primary', fenced: false, appendonly: false });
  await startNode(ctx, node);
  await enableAppendOnly(node);
  await saveState(node, ctx.info.flavour, { role: 'primary', fenced: false, appendonly: true });
  // Written while the server runs: its next start (resume, supervisor restart) reads it as its own user.
  await giveToServer(ctx.serverUser(), node.dataDir);
  ctx.lagClock.forget(`${node.host}:${node.port}`);
  ctx.log('node restored', { node: node.name, key: artifact.key, position: artifact.position, was: state.role });
}

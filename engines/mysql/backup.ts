/**
 * Physical backups with mariadb-backup, streamed (xbstream) straight into the backup store, and
 * restores from them. A backup is consistent with a GTID position, which the restored node takes over
 * as its own history, so replicas seeded from it continue from there.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { BackupArtifact, BackupStore, EngineNode, StoredObject } from '../types';
import type { DriverContext } from './context';
import { readReplicaStatus } from './health';
import { bootstrapCredentials, stop, start, writeConfiguration } from './lifecycle';
import { readSettings, writeSettings } from './layout';
import { giveToServer } from '../server-user';
import { withNode } from './session';
import { runTool, startTool } from './tools';

/** mariadb-backup's stderr line with the position the backup is consistent with. */
const GTID_LINE = /GTID of the last change '([^']*)'/;

export async function backup(
  context: DriverContext,
  node: EngineNode,
  store: BackupStore,
  key: string,
): Promise<BackupArtifact> {
  const layout = await writeConfiguration(context, node);
  const workDir = path.join(layout.tmp, `backup-${randomUUID()}`);
  let stderr = '';
  const tool = startTool({
    command: context.binaries.path('mariadb-backup'),
    args: [
      `--defaults-file=${layout.configFile}`,
      '--backup',
      '--stream=xbstream',
      // Commits are blocked while the redo-log copier catches up at the end of the backup; it looks
      // every 1000 ms by default, which froze writes for a second (the post-promote backup's stall).
      '--log-copy-interval=10',
      `--target-dir=${workDir}`,
      `--host=${node.host}`,
      `--port=${node.port}`,
      `--user=${node.credentials.adminUser}`,
    ],
    env: { MYSQL_PWD: node.credentials.adminPassword },
    secrets: [node.credentials.adminPassword],
    purpose: `backup of ${node.name}`,
    onStderr: (chunk) => {
      stderr = (stderr + chunk).slice(-64 * 1024);
    },
  });
  const putting = store.put(key, tool.stdout);
  // A store that fails stops reading; the tool would then block on its full pipe forever.
  putting.catch(() => tool.kill());
  const [stored, finished] = await Promise.allSettled([putting, tool.done]);
  await fs.rm(workDir, { recursive: true, force: true });
  if (stored.status === 'rejected' || finished.status === 'rejected') {
    tool.kill();
    // A tool that failed half-way still leaves a (truncated) object behind.
    await store.delete(key).catch(() => undefined);
    throw finished.status === 'rejected' ? finished.reason : (stored as PromiseRejectedResult).reason;
  }
  const position = GTID_LINE.exec(stderr)?.[1];
  context.log('mysql backup stored', { node: node.name, key, sizeBytes: stored.value.sizeBytes, position });
  return { ...(stored.value as StoredObject), engine: 'mysql', position };
}

/** The GTID position recorded by mariadb-backup in a prepared backup, or undefined. */
async function backupPosition(dir: string): Promise<string | undefined> {
  const info = await fs.readFile(path.join(dir, 'xtrabackup_binlog_info'), 'utf8').catch(() => undefined);
  return info?.trim().split(/\s+/)[2];
}

export async function restore(
  context: DriverContext,
  node: EngineNode,
  store: BackupStore,
  artifact: BackupArtifact,
): Promise<void> {
  await store.verify(artifact);
  const layout = await writeConfiguration(context, node);
  await stop(context, node);

  const staging = layout.restoreStaging;
  await fs.rm(staging, { recursive: true, force: true });
  await fs.mkdir(staging, { recursive: true, mode: 0o750 });
  const extract = startTool({
    command: context.binaries.path('mbstream'),
    args: ['-x', '-C', staging],
    stdin: store.get(artifact.key),
    purpose: `unpacking backup ${artifact.key} for ${node.name}`,
  });
  extract.stdout.resume();
  await extract.done;
  await runTool({
    command: context.binaries.path('mariadb-backup'),
    args: ['--prepare', `--target-dir=${staging}`],
    purpose: `preparing backup ${artifact.key} for ${node.name}`,
  });
  const position = (await backupPosition(staging)) ?? artifact.position ?? '';
  await giveToServer(context.serverUser(), staging);
  // The backup may come from another cluster: this node's accounts must work on the restored data.
  await bootstrapCredentials(context, node, layout, staging);

  // Binlogs and relay logs belong to the replaced data; replication settings live with the relay logs.
  for (const dir of [layout.data, layout.binlog, layout.relay]) await fs.rm(dir, { recursive: true, force: true });
  await fs.rename(staging, layout.data);
  await writeConfiguration(context, node);
  await writeSettings(layout, { ...(await readSettings(layout)), readOnly: false });
  await start(context, node);

  await withNode(node, async (session) => {
    if ((await readReplicaStatus(session)) !== undefined) await session.run(session.flavour.resetReplica());
    await session.run(session.flavour.seedPosition(position));
    await session.run(session.flavour.setReadOnly(false));
  });
  context.log('mysql node restored', { node: node.name, key: artifact.key, position });
}

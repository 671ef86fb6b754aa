/**
 * Physical backups: pg_basebackup's tar stream (data directory plus the WAL needed to make it
 * consistent) goes straight into the backup store; restore unpacks it into a fresh data directory
 * after the store has verified its checksum.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { InsufficientDiskError } from '../errors';
import type { BackupArtifact, BackupStore, EngineNode } from '../types';
import { installationOf, type DriverContext } from './context';
import { freshPrimaryState, nodeLayout, readState, writeState } from './layout';
import { giveToServerUser } from './os-user';
import { runTool, runToolChecked, startTool, ToolFailedError } from './run-tool';
import { scramSha256Verifier } from './scram';
import { startServer, stopServer } from './server';
import { quoteIdent, quoteLiteral } from './sql';

/** Streams a consistent backup of the running node into the store. */
export async function backupNode(
  ctx: DriverContext,
  node: EngineNode,
  store: BackupStore,
  key: string,
): Promise<BackupArtifact> {
  const tool = startTool({
    command: path.join(installationOf(ctx, node).bindir, 'pg_basebackup'),
    args: [
      `--host=${node.host}`,
      `--port=${node.port}`,
      `--username=${node.credentials.adminUser}`,
      '--pgdata=-',
      '--format=tar',
      // WAL needed for consistency is fetched at the end and included in the same tar.
      '--wal-method=fetch',
      '--checkpoint=fast',
      '--verbose',
      '--no-password',
    ],
    env: { PGPASSWORD: node.credentials.adminPassword },
    streamStdout: true,
  });
  const [stored, result] = await Promise.all([
    store.put(key, tool.stdout).catch((err: unknown) => err as Error),
    tool.done,
  ]);
  if (result.code !== 0) {
    await store.delete(key);
    throw new ToolFailedError('pg_basebackup', result);
  }
  if (stored instanceof Error) throw stored;
  const position = /write-ahead log end point: ([0-9A-F]+\/[0-9A-F]+)/i.exec(result.stderr)?.[1];
  ctx.logger.info(`node ${node.name}: backup ${key} stored (${stored.sizeBytes} bytes, ends at ${position ?? '?'})`);
  return { ...stored, engine: node.engine, ...(position ? { position } : {}) };
}

/**
 * Replaces the node's data with the backup and leaves it running as a primary. The checksum is
 * verified and the backup unpacked and made this node's before the server is stopped (nothing of
 * the node's is touched until the whole backup has been read); the old data is kept until the
 * restored server is up and is put back (node left stopped) when the restore fails.
 */
export async function restoreNode(
  ctx: DriverContext,
  node: EngineNode,
  store: BackupStore,
  artifact: BackupArtifact,
): Promise<void> {
  await store.verify(artifact);
  const layout = nodeLayout(node.dataDir);
  const free = await ctx.freeDiskBytes(node.dataDir);
  if (free < artifact.sizeBytes) {
    throw new InsufficientDiskError(
      `node ${node.name} has ${free} bytes free under ${node.dataDir} but backup ${artifact.key} needs ` +
        `${artifact.sizeBytes}; give the node a bigger disk or free space first`,
    );
  }
  const previousState = await readState(layout);
  const staging = `${layout.pgdata}.restoring`;
  const previous = `${layout.pgdata}.previous`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o700 });
  await giveToServerUser(staging);
  try {
    await runToolChecked({
      command: 'tar',
      args: ['--extract', '--file=-', `--directory=${staging}`],
      stdin: store.get(artifact.key),
      asServerUser: true,
      timeoutMs: 24 * 3600_000,
    });
    // A backup of a standby carries its signal file; the restored node is a primary.
    for (const leftover of ['standby.signal', 'recovery.signal', 'postmaster.pid']) {
      await rm(path.join(staging, leftover), { force: true });
    }
    await installAdminRole(ctx, node, staging);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  await stopServer(ctx, node);
  await rm(previous, { recursive: true, force: true });
  await rename(layout.pgdata, previous).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await rename(staging, layout.pgdata);
  await writeState(layout, freshPrimaryState());
  try {
    await startServer(ctx, node);
  } catch (err) {
    await stopServer(ctx, node);
    await rm(layout.pgdata, { recursive: true, force: true });
    await rename(previous, layout.pgdata).catch(() => undefined);
    await writeState(layout, previousState);
    throw err;
  }
  await rm(previous, { recursive: true, force: true });
  ctx.logger.info(`node ${node.name}: restored from backup ${artifact.key}`);
}

/**
 * Gives the restored data this node's admin role and password. A backup of another cluster (restore
 * into a new cluster) carries that cluster's password, and the driver could not log in to the
 * restored server. Runs the server in single-user mode on the unpacked directory (which also
 * replays the backup's WAL), before it accepts any connection; the password goes as a SCRAM verifier.
 */
async function installAdminRole(ctx: DriverContext, node: EngineNode, pgdata: string): Promise<void> {
  const { adminUser, adminPassword } = node.credentials;
  const role = quoteIdent(adminUser);
  const options = `SUPERUSER LOGIN REPLICATION PASSWORD ${quoteLiteral(scramSha256Verifier(adminPassword))}`;
  // Single-user mode reads one statement per line.
  const statement =
    `DO $$BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = ${quoteLiteral(adminUser)}) ` +
    `THEN ALTER ROLE ${role} WITH ${options}; ELSE CREATE ROLE ${role} WITH ${options}; END IF; END$$;\n`;
  const result = await runTool({
    command: path.join(installationOf(ctx, node).bindir, 'postgres'),
    // The restored data may hold the owner's objects: only the catalog is searched (see sql.ts).
    args: ['--single', '-D', pgdata, '-c', 'log_min_error_statement=panic', '-c', 'search_path=pg_catalog', 'postgres'],
    stdin: Readable.from([statement]),
    asServerUser: true,
    timeoutMs: 24 * 3600_000,
  });
  // A failed statement does not change the exit code of a single-user backend.
  if (result.code !== 0 || /\b(ERROR|FATAL|PANIC):/.test(result.stderr)) {
    throw new ToolFailedError('postgres --single', result);
  }
}

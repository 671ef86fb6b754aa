/** Creating a node's data directory with initdb, and erasing it. */
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EngineNode } from '../types';
import { installationOf, type DriverContext } from './context';
import { freshPrimaryState, INITIAL_STATE, nodeLayout, writeState } from './layout';
import { giveToServerUser, serverIdentity } from './os-user';
import { runToolChecked } from './run-tool';
import { hasData, stopServer, writeServerConfig } from './server';

/**
 * Runs initdb into `<dataDir>/pgdata` with the admin user as the bootstrap superuser and SCRAM
 * authentication. A directory left half-made by an interrupted initdb is removed and made again.
 */
export async function initialiseDataDirectory(ctx: DriverContext, node: EngineNode): Promise<void> {
  if (hasData(node)) return;
  const layout = nodeLayout(node.dataDir);
  const installation = installationOf(ctx, node);
  const stagingDir = `${layout.pgdata}.initdb`;
  const passwordFile = path.join(layout.confDir, 'initdb.pwfile');
  await mkdir(layout.confDir, { recursive: true, mode: 0o700 });
  await rm(stagingDir, { recursive: true, force: true });
  await mkdir(stagingDir, { mode: 0o700 });
  await prepareOwnership(node, stagingDir);
  await writeFile(passwordFile, `${node.credentials.adminPassword}\n`, { mode: 0o600 });
  try {
    await giveToServerUser(passwordFile);
    // initdb into a staging directory and rename: PG_VERSION then only appears for a complete cluster.
    await runToolChecked({
      command: path.join(installation.bindir, 'initdb'),
      args: [
        `--pgdata=${stagingDir}`,
        `--username=${node.credentials.adminUser}`,
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
      ],
      asServerUser: true,
      timeoutMs: 300_000,
    });
  } finally {
    await rm(passwordFile, { force: true });
  }
  await rm(layout.pgdata, { recursive: true, force: true });
  await rename(stagingDir, layout.pgdata);
  const state = freshPrimaryState();
  await writeState(layout, state);
  await writeServerConfig(ctx, node, state);
  ctx.logger.info(`node ${node.name}: initialised PostgreSQL ${installation.major} data directory`);
}

/** Stops the server and removes its data; the node must be restored or re-initialised before start. */
export async function eraseDataDirectory(ctx: DriverContext, node: EngineNode): Promise<void> {
  await stopServer(ctx, node);
  const layout = nodeLayout(node.dataDir);
  await rm(layout.pgdata, { recursive: true, force: true });
  await rm(layout.replicationPassFile, { force: true });
  await writeState(layout, INITIAL_STATE);
  ctx.logger.info(`node ${node.name}: erased`);
}

/**
 * The server user must own the node directory's PostgreSQL parts and be able to enter the node
 * directory itself (which the VM provider created).
 */
export async function prepareOwnership(node: EngineNode, dataDirectory: string): Promise<void> {
  const layout = nodeLayout(node.dataDir);
  if (!serverIdentity()) return;
  await chmod(layout.root, 0o711);
  await giveToServerUser(layout.confDir);
  await giveToServerUser(dataDirectory);
}

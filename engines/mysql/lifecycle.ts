/**
 * Creating, starting, stopping and erasing a node's server.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { NodeNotReadyError } from '../errors';
import type { EngineNode } from '../types';
import { SERVER_PROCESS, type DriverContext } from './context';
import { INITIAL_SETTINGS, layoutOf, renderConfig, writeFileAtomic, writeSettings, type NodeLayout } from './layout';
import { assertReachable, giveToServer } from '../server-user';
import { openNode, type Session } from './session';
import { redact, runTool } from './tools';

const READY_POLL_MS = 200;
/** Last part of the server log quoted when the server does not come up. */
const LOG_TAIL_BYTES = 2000;

export async function exists(target: string): Promise<boolean> {
  return (await fs.stat(target).catch(() => undefined)) !== undefined;
}

export async function isInitialised(layout: NodeLayout): Promise<boolean> {
  return exists(path.join(layout.data, 'mysql'));
}

function serverUserArgs(context: DriverContext): string[] {
  const user = context.serverUser();
  return user.name === undefined ? [] : [`--user=${user.name}`];
}

/** Creates the node's directories and (re)writes my.cnf; settings.cnf only when missing. */
export async function writeConfiguration(context: DriverContext, node: EngineNode): Promise<NodeLayout> {
  const layout = layoutOf(node);
  const user = context.serverUser();
  await assertReachable(user, layout.root);
  for (const dir of [layout.binlog, layout.relay, layout.tmp, layout.run, layout.log, layout.files]) {
    await fs.mkdir(dir, { recursive: true, mode: 0o750 });
    await giveToServer(user, dir);
  }
  await writeFileAtomic(layout.configFile, renderConfig(node, layout));
  if (!(await exists(layout.settingsFile))) await writeSettings(layout, INITIAL_SETTINGS);
  return layout;
}

/**
 * SQL that gives the node the cluster's admin and replication accounts, run in bootstrap mode (no
 * network, no binlog) and fed on stdin so the passwords never reach a command line.
 */
function credentialsSql(node: EngineNode): string {
  const { adminUser, adminPassword, replicationUser, replicationPassword } = node.credentials;
  const admin = `${mysql.escape(adminUser)}@'%'`;
  const replication = `${mysql.escape(replicationUser)}@'%'`;
  return [
    'FLUSH PRIVILEGES;',
    `CREATE OR REPLACE USER ${admin} IDENTIFIED BY ${mysql.escape(adminPassword)};`,
    `GRANT ALL PRIVILEGES ON *.* TO ${admin} WITH GRANT OPTION;`,
    `CREATE OR REPLACE USER ${replication} IDENTIFIED BY ${mysql.escape(replicationPassword)};`,
    `GRANT REPLICATION SLAVE ON *.* TO ${replication};`,
    '',
  ].join('\n');
}

/** Installs the node's accounts into a stopped data directory (a new one, or one restored from a backup). */
export async function bootstrapCredentials(
  context: DriverContext,
  node: EngineNode,
  layout: NodeLayout,
  dataDir: string,
): Promise<void> {
  await runTool({
    command: context.binaries.path('mariadbd'),
    args: [
      `--defaults-file=${layout.configFile}`,
      `--datadir=${dataDir}`,
      ...serverUserArgs(context),
      '--bootstrap',
      '--skip-log-bin',
      '--skip-networking',
    ],
    stdin: credentialsSql(node),
    secrets: [node.credentials.adminPassword, node.credentials.replicationPassword],
    purpose: `installing the accounts of ${node.name}`,
  });
}

export async function initialise(context: DriverContext, node: EngineNode): Promise<void> {
  const layout = await writeConfiguration(context, node);
  if (await isInitialised(layout)) return;
  // Built aside and renamed, so a crash half-way never leaves a directory that looks initialised.
  await fs.rm(layout.initStaging, { recursive: true, force: true });
  await fs.mkdir(layout.initStaging, { mode: 0o750 });
  await giveToServer(context.serverUser(), layout.initStaging);
  await runTool({
    command: context.binaries.path('mariadb-install-db'),
    args: [
      `--defaults-file=${layout.configFile}`,
      `--datadir=${layout.initStaging}`,
      ...serverUserArgs(context),
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
      '--skip-name-resolve',
    ],
    purpose: `initialising ${node.name}`,
  });
  await bootstrapCredentials(context, node, layout, layout.initStaging);
  await giveToServer(context.serverUser(), layout.initStaging);
  await fs.rename(layout.initStaging, layout.data);
  context.log('mysql node initialised', { node: node.name });
}

async function serverLogTail(layout: NodeLayout, secrets: string[]): Promise<string> {
  const content = await fs.readFile(layout.serverLog, 'utf8').catch(() => '');
  return redact(content.slice(-LOG_TAIL_BYTES).trim(), secrets);
}

/** Polls until the server accepts the admin account, up to `timeoutMs`. */
export async function waitUntilReady(
  context: DriverContext,
  node: EngineNode,
  timeoutMs = context.startTimeoutMs,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    let session: Session | undefined;
    try {
      session = await openNode(node, Math.min(2_000, Math.max(deadline - Date.now(), 1)));
      return;
    } catch (error) {
      lastError = (error as Error).message;
    } finally {
      await session?.close();
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  const tail = await serverLogTail(layoutOf(node), [node.credentials.adminPassword]);
  throw new NodeNotReadyError(
    `node ${node.name} did not accept connections within ${Math.round(timeoutMs / 1000)} s (${lastError}); server log ends with:\n${tail}`,
  );
}

export async function start(context: DriverContext, node: EngineNode): Promise<void> {
  const layout = layoutOf(node);
  if (!(await isInitialised(layout))) {
    throw new NodeNotReadyError(`node ${node.name} has no data in ${layout.data}; initialise or restore it first`);
  }
  await writeConfiguration(context, node);
  await context.supervisor.start(node.name, SERVER_PROCESS, {
    command: context.binaries.path('mariadbd'),
    args: [`--defaults-file=${layout.configFile}`],
    // The supervisor spawns it as this user when we are root, so the server never holds root.
    runAsUser: context.serverUser().name,
    cwd: layout.root,
    logFile: layout.serverLog,
  });
  await waitUntilReady(context, node);
  context.log('mysql node started', { node: node.name });
}

export async function stop(context: DriverContext, node: EngineNode): Promise<void> {
  // SIGTERM is mariadbd's clean shutdown; the grace period covers flushing a busy buffer pool.
  await context.supervisor.stop(node.name, SERVER_PROCESS, context.stopGraceMs);
}

export async function erase(context: DriverContext, node: EngineNode): Promise<void> {
  await stop(context, node);
  const layout = layoutOf(node);
  for (const target of [
    layout.data,
    layout.binlog,
    layout.relay,
    layout.tmp,
    layout.restoreStaging,
    layout.initStaging,
  ]) {
    await fs.rm(target, { recursive: true, force: true });
  }
  await fs.rm(layout.settingsFile, { force: true });
  context.log('mysql node erased', { node: node.name });
}

/**
 * Running a node's server: rendering its configuration, starting it through the supervisor,
 * waiting until it accepts sessions, reloading configuration, and stopping it cleanly.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from 'pg';
import type { ProcessSpec } from '../../vm/types';
import { NodeNotReadyError } from '../errors';
import type { EngineNode } from '../types';
import { installationOf, SERVER_PROCESS, type DriverContext } from './context';
import { nodeLayout, readState, type NodeState } from './layout';
import { giveToServerUser, runningAsRoot, SERVER_OS_USER } from './os-user';
import { renderHbaConf, renderPassFile, renderPostgresqlConf } from './server-config';
import { adminTarget, describeError, isAuthFailure, withClient } from './sql';

/** Whether the node has a data directory the server can start from. */
export function hasData(node: EngineNode): boolean {
  return existsSync(path.join(nodeLayout(node.dataDir).pgdata, 'PG_VERSION'));
}

/** Writes postgresql.conf, pg_hba.conf and the replication password file for `state`. */
export async function writeServerConfig(ctx: DriverContext, node: EngineNode, state: NodeState): Promise<void> {
  const layout = nodeLayout(node.dataDir);
  await mkdir(layout.confDir, { recursive: true, mode: 0o700 });
  await writeFile(layout.configFile, renderPostgresqlConf(node, layout, state, ctx.settings), { mode: 0o600 });
  await writeFile(layout.hbaFile, renderHbaConf(node, state, ctx.settings), { mode: 0o600 });
  if (!existsSync(layout.identFile)) await writeFile(layout.identFile, '', { mode: 0o600 });
  if (state.upstream) {
    const { host, port } = state.upstream;
    const { replicationUser, replicationPassword } = node.credentials;
    await writeFile(layout.replicationPassFile, renderPassFile(host, port, replicationUser, replicationPassword), {
      mode: 0o600,
    });
  }
  await giveToServerUser(layout.confDir);
}

export function serverProcessSpec(ctx: DriverContext, node: EngineNode): ProcessSpec {
  const layout = nodeLayout(node.dataDir);
  return {
    command: path.join(installationOf(ctx, node).bindir, 'postgres'),
    args: ['-c', `config_file=${layout.configFile}`],
    runAsUser: runningAsRoot() ? SERVER_OS_USER : undefined,
    stopSignal: 'SIGINT',
    cwd: layout.root,
    logFile: layout.logFile,
  };
}

/** Starts the server with configuration rendered from the node's state and waits until it accepts sessions. */
export async function startServer(ctx: DriverContext, node: EngineNode): Promise<void> {
  if (!hasData(node)) {
    throw new NodeNotReadyError(`node ${node.name} has no PostgreSQL data directory; initialise or restore it first`);
  }
  await writeServerConfig(ctx, node, await readState(nodeLayout(node.dataDir)));
  await ctx.supervisor.start(node.name, SERVER_PROCESS, serverProcessSpec(ctx, node));
  await waitUntilAccepting(node, ctx.startTimeoutMs);
}

/** Resolves once an admin session can be opened (a standby must first reach a consistent state). */
export async function waitUntilAccepting(node: EngineNode, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no attempt made';
  while (Date.now() < deadline) {
    try {
      await withClient(adminTarget(node), (client) => client.query('select 1'), 2000);
      return;
    } catch (err) {
      if (isAuthFailure(err)) throw err;
      lastError = describeError(err);
    }
    await sleep(200);
  }
  throw new NodeNotReadyError(
    `PostgreSQL on node ${node.name} (${node.host}:${node.port}) did not accept sessions within ${timeoutMs} ms ` +
      `(${lastError}); its log ends with:\n${await logTail(node)}`,
  );
}

export async function logTail(node: EngineNode, lines = 15): Promise<string> {
  const text = await readFile(nodeLayout(node.dataDir).logFile, 'utf8').catch(() => '(no log yet)');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Makes the postmaster re-read its configuration files and waits until it has: pg_reload_conf()
 * only sends a signal, and a fence is worthless until the new pg_hba.conf is the one in force.
 * A new session reports the postmaster's load time, so we wait for a session to see a newer one.
 */
export async function reloadConfig(node: EngineNode, timeoutMs = 15_000): Promise<void> {
  const before = await withClient(adminTarget(node), async (client) => {
    const loaded = await client.query<{ t: string }>('select pg_conf_load_time()::text as t');
    await client.query('select pg_reload_conf()');
    return loaded.rows[0]!.t;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const newer = await withClient(adminTarget(node), async (client) => {
      const result = await client.query<{ newer: boolean }>('select pg_conf_load_time() > $1::timestamptz as newer', [
        before,
      ]);
      return result.rows[0]!.newer;
    });
    if (newer) return;
    // Short: a fence waits on this reload, and clients wait on the fence.
    await sleep(10);
  }
  throw new NodeNotReadyError(
    `PostgreSQL on node ${node.name} did not reload its configuration within ${timeoutMs} ms`,
  );
}

/**
 * Ends every client session but the caller's and waits until they are gone, so no transaction of
 * theirs can commit afterwards. Loops because a session that was authenticating a moment ago may
 * only show up now.
 */
export async function terminateClientSessions(client: Client, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const others = await client.query<{ pid: number }>(
      `select pid from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()`,
    );
    if (others.rows.length === 0) return;
    if (Date.now() > deadline) {
      throw new NodeNotReadyError(`${others.rows.length} client sessions did not end within ${timeoutMs} ms`);
    }
    // The second argument makes pg_terminate_backend wait for the session to exit.
    await client.query('select pg_terminate_backend(pid, 5000) from unnest($1::int[]) as pid', [
      others.rows.map((row) => row.pid),
    ]);
  }
}

/**
 * Stops the server cleanly. The process is started with SIGINT as its stop signal, PostgreSQL's
 * "fast" shutdown: sessions are ended, a shutdown checkpoint is written and all WAL is sent to the
 * connected standbys before the server exits (SIGTERM, "smart", would wait for every client to
 * disconnect on its own).
 */
export async function stopServer(ctx: DriverContext, node: EngineNode): Promise<void> {
  if (!(await ctx.supervisor.isRunning(node.name, SERVER_PROCESS))) return;
  await ctx.supervisor.stop(node.name, SERVER_PROCESS, STOP_GRACE_MS);
}

/** A shutdown checkpoint of a large, busy server can take a while; SIGKILL is the last resort. */
const STOP_GRACE_MS = 120_000;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

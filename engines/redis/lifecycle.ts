/**
 * Creating a node's files, starting and stopping its server through the supervisor, and erasing its data.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { NodeNotReadyError, UnsupportedOperationError } from '../errors';
import type { EngineNode } from '../types';
import { openClient } from './client';
import { adminTarget, processName, type DriverContext } from './context';
import { isLoading, parseInfo } from './info';
import { createNodeFiles, nodePaths, readState, removeDataFiles } from './node-files';
import { assertReachable, giveToServer } from '../server-user';

const READY_POLL_MS = 100;

export async function initialiseNode(ctx: DriverContext, node: EngineNode): Promise<void> {
  if (await createNodeFiles(node, ctx.info.flavour)) {
    ctx.log('node initialised', { node: node.name, flavour: ctx.info.flavour, dataDir: node.dataDir });
  }
}

async function logTail(file: string, lines = 8): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Polls until the server accepts the admin user and has loaded its dataset. */
async function waitUntilReady(ctx: DriverContext, node: EngineNode): Promise<void> {
  const deadline = Date.now() + ctx.startTimeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const client = await openClient(adminTarget(node), { timeoutMs: 1000, commandTimeoutMs: 1000 });
      try {
        const info = parseInfo(await client.info('persistence'));
        if (!isLoading(info)) return;
        lastProblem = 'still loading its dataset';
      } finally {
        client.disconnect();
      }
    } catch (err) {
      lastProblem = (err as Error).message;
    }
    await sleep(READY_POLL_MS);
  }
  const tail = await logTail(nodePaths(node).logFile);
  throw new NodeNotReadyError(
    `node ${node.name} did not become ready within ${ctx.startTimeoutMs} ms (${lastProblem}); last log lines:\n${tail}`,
  );
}

export async function startNode(ctx: DriverContext, node: EngineNode): Promise<void> {
  const paths = nodePaths(node);
  if ((await readState(paths)) === undefined) {
    throw new UnsupportedOperationError(
      `node ${node.name} has no configuration in ${node.dataDir}; initialise it first`,
    );
  }
  const user = ctx.serverUser();
  await assertReachable(user, node.dataDir);
  // Files the driver wrote since the last start (configuration, restored snapshot) become the server's.
  await giveToServer(user, node.dataDir);
  await ctx.supervisor.start(node.name, processName(ctx.info), {
    command: await ctx.binary(),
    runAsUser: user.name,
    // Only the configuration file's path: every setting, and the replication password, live inside it.
    args: [paths.configFile],
    cwd: node.dataDir,
    logFile: paths.logFile,
  });
  await waitUntilReady(ctx, node);
}

export async function stopNode(ctx: DriverContext, node: EngineNode): Promise<void> {
  // SIGTERM makes the server fsync its append-only file and exit; a primary first gives lagging replicas
  // a moment to catch up (Redis 7's shutdown-timeout).
  await ctx.supervisor.stop(node.name, processName(ctx.info), ctx.stopGraceMs);
}

export async function eraseNode(ctx: DriverContext, node: EngineNode): Promise<void> {
  await stopNode(ctx, node);
  await removeDataFiles(nodePaths(node));
  ctx.lagClock.forget(`${node.host}:${node.port}`);
  ctx.log('node erased', { node: node.name });
}

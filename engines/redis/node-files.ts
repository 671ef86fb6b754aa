/**
 * Where a node's files live under its data directory, and how the driver reads and writes them. Every
 * write goes to a temporary file that is fsynced and renamed into place, so a crash never leaves a
 * half-written configuration behind; files are mode 0600 because the configuration holds the
 * replication password.
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { EngineNode } from '../types';
import { INITIAL_STATE, renderAclFile, renderServerConfig, type NodePaths, type NodeState } from './config';
import type { RedisFlavour } from './flavours';

export function nodePaths(node: EngineNode): NodePaths {
  return {
    configFile: path.join(node.dataDir, 'redis.conf'),
    aclFile: path.join(node.dataDir, 'users.acl'),
    stateFile: path.join(node.dataDir, 'state.json'),
    dataDir: path.join(node.dataDir, 'data'),
    logFile: path.join(node.dataDir, 'server.log'),
  };
}

export async function writeFileAtomic(file: string, content: string | Buffer): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}

/** The recorded state, or undefined for a node that was never initialised. */
export async function readState(paths: NodePaths): Promise<NodeState | undefined> {
  let text: string;
  try {
    text = await readFile(paths.stateFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return { ...INITIAL_STATE, ...(JSON.parse(text) as Partial<NodeState>) };
}

/**
 * Renders the configuration from `state` (the server reads it at its next start), then records the state.
 * The state file is written last because its presence is what marks a node as initialised.
 */
export async function saveState(node: EngineNode, flavour: RedisFlavour, state: NodeState): Promise<void> {
  const paths = nodePaths(node);
  await writeFileAtomic(paths.configFile, renderServerConfig(node, state, paths, flavour));
  await writeFileAtomic(paths.stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

/** Creates the data directory, the ACL file and the configuration unless they exist. */
export async function createNodeFiles(node: EngineNode, flavour: RedisFlavour): Promise<boolean> {
  const paths = nodePaths(node);
  if ((await readState(paths)) !== undefined) return false;
  await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(paths.aclFile, renderAclFile(node.credentials));
  await saveState(node, flavour, INITIAL_STATE);
  return true;
}

/** Removes every data file (snapshot, append-only files, temporary files of a save in progress). */
export async function removeDataFiles(paths: NodePaths): Promise<void> {
  await rm(paths.dataDir, { recursive: true, force: true });
  await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
}

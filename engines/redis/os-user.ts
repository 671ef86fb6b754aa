/**
 * The OS user the server runs as. Redis does not refuse root, but a careful operator does not run a
 * network server as root: when the orchestrator runs as root, the server runs as the flavour's own user
 * (`redis`, `keydb`, `valkey`, as their packages create) and owns the node's directory. When no such user
 * exists it runs as root, and says so once in the log. As any other user, everything runs as that user.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EngineUnavailableError } from '../errors';

export interface ServerUser {
  /** User to run the server as, or undefined to run as ourselves. */
  name: string | undefined;
  uid: number;
  gid: number;
}

function idsOf(name: string): { uid: number; gid: number } | undefined {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

/** The first existing user of `candidates` when we are root; ourselves otherwise (or when none exists). */
export function resolveServerUser(candidates: string[]): ServerUser {
  const self = { name: undefined, uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 };
  if (process.getuid?.() !== 0) return self;
  for (const name of candidates) {
    const ids = idsOf(name);
    if (ids) return { name, ...ids };
  }
  return self;
}

/** Gives `target` and everything below it to the server user (no-op when it runs as ourselves). */
export async function giveToServer(user: ServerUser, target: string): Promise<void> {
  if (user.name === undefined) return;
  const stat = await fs.lstat(target).catch(() => undefined);
  if (stat === undefined) return;
  await fs.lchown(target, user.uid, user.gid);
  if (!stat.isDirectory()) return;
  for (const entry of await fs.readdir(target)) await giveToServer(user, path.join(target, entry));
}

/** Throws when the server user cannot reach `dir` through its parents (a private temp dir above it). */
export async function assertReachable(user: ServerUser, dir: string): Promise<void> {
  if (user.name === undefined) return;
  for (let current = path.dirname(path.resolve(dir)); ; current = path.dirname(current)) {
    const stat = await fs.stat(current);
    const bit = stat.uid === user.uid ? 0o100 : stat.gid === user.gid ? 0o010 : 0o001;
    if ((stat.mode & bit) === 0) {
      throw new EngineUnavailableError(
        `user "${user.name}" cannot reach ${dir}: ${current} is not traversable for it (mode ${(stat.mode & 0o777).toString(8)}); chmod o+x it or use a data directory elsewhere`,
      );
    }
    if (path.dirname(current) === current) return;
  }
}

/**
 * Running engine processes as an unprivileged user. Only meaningful when the orchestrator runs as root
 * (PostgreSQL refuses to run as root); as any other user every process simply runs as that user.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';

import { DirectoryNotReachableError, InvalidNameError } from '../errors';

export interface UserIds {
  uid: number;
  gid: number;
}

const userIds = new Map<string, UserIds>();

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** uid/gid of a local user, looked up once per user. */
export function lookupUser(user: string): UserIds {
  let ids = userIds.get(user);
  if (ids === undefined) {
    const id = (flag: string) => {
      try {
        return Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
      } catch {
        throw new InvalidNameError(`user "${user}" does not exist on this machine; create it or install its package`);
      }
    };
    ids = { uid: id('-u'), gid: id('-g') };
    userIds.set(user, ids);
  }
  return ids;
}

/** The ids to spawn with: the user's when running as root and a user is asked for, else none. */
export function spawnIdentity(runAsUser: string | undefined): UserIds | undefined {
  return runAsUser !== undefined && isRoot() ? lookupUser(runAsUser) : undefined;
}

/**
 * Gives `path` (recursively) to `runAsUser` so the engine process can own its data; a no-op when not
 * root or no user is given. Also checks that the user can reach `path` through its parent directories,
 * because a private temp or home directory above it makes the engine fail with a confusing error later.
 */
export async function chownForProcess(path: string, runAsUser: string | undefined): Promise<void> {
  const ids = spawnIdentity(runAsUser);
  if (ids === undefined || runAsUser === undefined) return;
  await assertTraversable(dirname(path), ids, runAsUser);
  await chownRecursive(path, ids);
}

async function chownRecursive(path: string, ids: UserIds): Promise<void> {
  await fs.lchown(path, ids.uid, ids.gid);
  const stat = await fs.lstat(path);
  if (!stat.isDirectory()) return;
  for (const entry of await fs.readdir(path)) await chownRecursive(join(path, entry), ids);
}

async function assertTraversable(dir: string, ids: UserIds, user: string): Promise<void> {
  for (let current = dir; ; current = dirname(current)) {
    const stat = await fs.stat(current);
    const traversable =
      stat.uid === ids.uid
        ? (stat.mode & 0o100) !== 0
        : stat.gid === ids.gid
          ? (stat.mode & 0o010) !== 0
          : (stat.mode & 0o001) !== 0;
    if (!traversable) {
      throw new DirectoryNotReachableError(
        `user "${user}" cannot traverse ${current} (mode ${(stat.mode & 0o777).toString(8)}); make it traversable (chmod o+x) or use a base directory outside it`,
      );
    }
    if (dirname(current) === current) return;
  }
}

/**
 * The OS user the server runs as. When the orchestrator runs as root, mariadbd runs as an unprivileged
 * user (`mysql`) and owns the node's directories; otherwise everything runs as the orchestrator's user
 * and nothing changes hands.
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

export function serverUser(name: string): ServerUser {
  if (process.getuid?.() !== 0)
    return { name: undefined, uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 };
  const id = (flag: string) => {
    try {
      return Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
    } catch {
      throw new EngineUnavailableError(
        `the server must not run as root and user "${name}" does not exist; install mariadb-server or create the user`,
      );
    }
  };
  return { name, uid: id('-u'), gid: id('-g') };
}

/** Gives `target` and everything below it to the server user (no-op when we are not root). */
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
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
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

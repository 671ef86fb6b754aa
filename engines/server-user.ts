/**
 * The OS user an engine's server runs as, shared by the MariaDB and Redis drivers (PostgreSQL has its
 * own, `postgresql/os-user.ts`, because its tools run through `runuser`). When the orchestrator is
 * root the server runs as an unprivileged user that owns the node's files; otherwise everything runs
 * as the orchestrator's user and nothing changes hands.
 */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EngineUnavailableError } from './errors';

export interface ServerUser {
  /** User to run the server as, or undefined to run as ourselves. */
  name: string | undefined;
  uid: number;
  gid: number;
}

/** Ourselves: the server runs as the orchestrator's user. */
export function currentUser(): ServerUser {
  return { name: undefined, uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 };
}

/** The uid and gid of the OS user `name`, or undefined when there is no such user. */
export function idsOf(name: string): { uid: number; gid: number } | undefined {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

/** Gives `target` and everything below it to the server user (no-op when it runs as ourselves). */
export async function giveToServer(user: ServerUser, target: string): Promise<void> {
  if (user.name === undefined) return;
  const stat = await fs.lstat(target).catch(() => undefined);
  if (stat === undefined) return;
  // A running server may remove a file meanwhile (Redis replaces its append-only files): gone is fine.
  const gone = (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  };
  await fs.lchown(target, user.uid, user.gid).catch(gone);
  if (!stat.isDirectory()) return;
  const entries = await fs.readdir(target).catch((err: NodeJS.ErrnoException) => (gone(err), [] as string[]));
  for (const entry of entries) await giveToServer(user, path.join(target, entry));
}

/**
 * Throws when the server user cannot reach `dir` through its parents (a private temp dir above it,
 * or a home directory such as /root). Parts of the path that do not exist yet are skipped.
 */
export async function assertReachable(user: ServerUser, dir: string): Promise<void> {
  if (user.name === undefined) return;
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const stat = await fs.stat(current).catch(() => undefined);
    const bit = stat?.uid === user.uid ? 0o100 : stat?.gid === user.gid ? 0o010 : 0o001;
    if (stat && (stat.mode & bit) === 0 && !traversableByAcl(user, current)) {
      throw new EngineUnavailableError(
        `user "${user.name}" cannot reach ${dir}: ${current} is not traversable for it (mode ${(stat.mode & 0o777).toString(8)}); chmod o+x it or use a data directory elsewhere`,
      );
    }
    if (path.dirname(current) === current) return;
  }
}

/**
 * Whether an ACL entry lets `user` through `dir` when its mode bits do not (DATA_DIR is 0700 with a
 * traverse-only entry per database user): asked of the kernel, as that user.
 */
function traversableByAcl(user: ServerUser, dir: string): boolean {
  if (user.name === undefined) return false;
  try {
    execFileSync('runuser', ['-u', user.name, '--', 'test', '-x', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

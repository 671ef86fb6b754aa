/**
 * PostgreSQL refuses to run as root. When the orchestrator runs as root, the server and its
 * data-directory tools (initdb, pg_rewind, tar into the data directory) run as the `postgres` OS
 * user and the node's files belong to it; otherwise everything runs as the current user.
 */
import { readFileSync } from 'node:fs';
import { chown, lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { EngineUnavailableError } from '../errors';

export const SERVER_OS_USER = 'postgres';

export interface OsIdentity {
  user: string;
  uid: number;
  gid: number;
  home: string;
}

let cached: OsIdentity | undefined;

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The identity server-side tools run as when we are root; undefined when we are not root. */
export function serverIdentity(): OsIdentity | undefined {
  if (!runningAsRoot()) return undefined;
  cached ??= lookupPasswdEntry(SERVER_OS_USER);
  return cached;
}

function lookupPasswdEntry(user: string): OsIdentity {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${user}:`));
  if (!line) {
    throw new EngineUnavailableError(
      `running as root needs the OS user "${user}" for PostgreSQL (it refuses to run as root); ` +
        'install the postgresql package, which creates it, or run the orchestrator as an ordinary user',
    );
  }
  const [, , uid, gid, , home] = line.split(':');
  return { user, uid: Number(uid), gid: Number(gid), home: home ?? '/' };
}

/** Gives `target` and everything below it to the server user (a no-op when not root). */
export async function giveToServerUser(target: string): Promise<void> {
  const identity = serverIdentity();
  if (!identity) return;
  const walk = async (entry: string): Promise<void> => {
    await chown(entry, identity.uid, identity.gid);
    const info = await lstat(entry);
    if (info.isDirectory()) {
      for (const child of await readdir(entry)) await walk(path.join(entry, child));
    }
  };
  await walk(target);
}

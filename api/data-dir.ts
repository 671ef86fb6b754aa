/**
 * The data directory holds everything an attacker on the machine would want: the Temporal journal,
 * the payload key, API tokens, backups, audit logs and every node. It is the product's user's alone
 * (mode 0700). When the product runs as root, the engines run as their own OS users (`postgres`,
 * `mysql`, `redis`, …) and must pass through it to their node's directory: each gets a
 * traverse-only ACL entry (`u:postgres:--x`), which lets it open a path it already knows below and
 * nothing else (no listing, no reading; every file and directory below keeps its own mode).
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { idsOf } from '../engines/server-user';

const execFileAsync = promisify(execFile);

/** The OS users the engine drivers run servers and tools as when the product is root. */
export const ENGINE_OS_USERS = ['postgres', 'mysql', 'redis', 'keydb', 'valkey'];

export async function prepareDataDir(dataDir: string, logger: Logger): Promise<void> {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  await fs.chmod(dataDir, 0o700);
  if (process.getuid?.() !== 0) return;
  const engineUsers = ENGINE_OS_USERS.filter((user) => idsOf(user) !== undefined);
  if (engineUsers.length > 0) await allowTraverse(dataDir, engineUsers, logger);
  for (let dir = path.dirname(path.resolve(dataDir)); ; dir = path.dirname(dir)) {
    if (((await fs.stat(dir)).mode & 0o001) === 0) {
      logger.warn(
        { dataDir, dir },
        `${dir} is not traversable by other users, but the database servers run as their own users ` +
          `under DATA_DIR: chmod o+x ${dir}, or set DATA_DIR to a directory outside it`,
      );
      return;
    }
    if (path.dirname(dir) === dir) return;
  }
}

async function allowTraverse(dataDir: string, users: string[], logger: Logger): Promise<void> {
  try {
    await execFileAsync('setfacl', ['-m', users.map((user) => `u:${user}:--x`).join(','), dataDir]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // No ACL tools: everyone may traverse (never list); what lies below keeps its own modes.
    await fs.chmod(dataDir, 0o711);
    logger.warn(
      { dataDir },
      'setfacl is missing, so DATA_DIR is 0711 instead of 0700 plus an entry per database user; install the acl package',
    );
  }
}

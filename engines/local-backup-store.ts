import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BackupChecksumError, InvalidBackupKeyError } from './errors';
import type { BackupStore, StoredObject } from './types';

const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/**
 * A backup store in a local directory. Objects are written to a temporary file, fsynced and renamed
 * into place, so a crash never leaves a half-written object under its final key.
 */
export class LocalBackupStore implements BackupStore {
  constructor(readonly baseDir: string) {}

  pathOf(key: string): string {
    if (!KEY_PATTERN.test(key))
      throw new InvalidBackupKeyError(
        `invalid backup key ${JSON.stringify(key)}: use letters, digits, '.', '_', '-' and '/'`,
      );
    return path.join(this.baseDir, key);
  }

  async put(key: string, data: Readable): Promise<StoredObject> {
    const finalPath = this.pathOf(key);
    // Backups hold every cluster's data: the orchestrator's user alone may list or read them.
    await mkdir(this.baseDir, { recursive: true, mode: 0o700 });
    await chmod(this.baseDir, 0o700);
    await mkdir(path.dirname(finalPath), { recursive: true, mode: 0o700 });
    const tmpPath = `${finalPath}.partial-${process.pid}`;
    const hash = createHash('sha256');
    let sizeBytes = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        sizeBytes += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(data, measure, createWriteStream(tmpPath, { mode: 0o600 }));
      const handle = await open(tmpPath, 'r');
      await handle.sync().finally(() => handle.close());
      await rename(tmpPath, finalPath);
    } catch (err) {
      await rm(tmpPath, { force: true });
      throw err;
    }
    return { key, location: finalPath, sizeBytes, sha256: hash.digest('hex') };
  }

  get(key: string): Readable {
    return createReadStream(this.pathOf(key));
  }

  async verify(artifact: StoredObject): Promise<void> {
    const filePath = this.pathOf(artifact.key);
    const info = await stat(filePath).catch(() => undefined);
    if (!info) throw new BackupChecksumError(`backup ${artifact.key} is missing from ${this.baseDir}`);
    if (info.size !== artifact.sizeBytes) {
      throw new BackupChecksumError(
        `backup ${artifact.key} is ${info.size} bytes but ${artifact.sizeBytes} were recorded; refusing to restore it`,
      );
    }
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(filePath)) hash.update(chunk as Buffer);
    const actual = hash.digest('hex');
    if (actual !== artifact.sha256) {
      throw new BackupChecksumError(
        `backup ${artifact.key} has checksum ${actual} but ${artifact.sha256} was recorded; refusing to restore it`,
      );
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async exists(key: string): Promise<boolean> {
    return (await stat(this.pathOf(key)).catch(() => undefined)) !== undefined;
  }
}

import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupChecksumError, InvalidBackupKeyError } from './errors';
import { LocalBackupStore } from './local-backup-store';

let dir: string;
let store: LocalBackupStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'backup-store-'));
  store = new LocalBackupStore(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('LocalBackupStore', () => {
  it('stores a stream under its key with the size and SHA-256 of what was written, and reads it back', async () => {
    const content = 'row 1\nrow 2\n'.repeat(1000);
    const stored = await store.put('shop/backup-1', Readable.from([content.slice(0, 5000), content.slice(5000)]));
    expect(stored).toMatchObject({
      key: 'shop/backup-1',
      sizeBytes: content.length,
      sha256: createHash('sha256').update(content).digest('hex'),
    });
    await store.verify(stored);
    expect(await text(store.get('shop/backup-1'))).toBe(content);
    expect(await store.exists('shop/backup-1')).toBe(true);
    // Nothing but the object itself is left (no partial file).
    expect(readdirSync(path.join(dir, 'shop'))).toEqual(['backup-1']);
    await store.delete('shop/backup-1');
    expect(await store.exists('shop/backup-1')).toBe(false);
  });

  it('refuses an object whose bytes changed after they were recorded', async () => {
    const stored = await store.put('shop/backup-2', Readable.from(['original']));
    writeFileSync(stored.location, 'tampered');
    await expect(store.verify(stored)).rejects.toThrow(/checksum .* but .* was recorded/);
    await expect(store.verify(stored)).rejects.toBeInstanceOf(BackupChecksumError);
    rmSync(stored.location);
    await expect(store.verify(stored)).rejects.toThrow(/missing/);
  });

  it('leaves no partial file when the source stream fails', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('source went away'));
      },
    });
    await expect(store.put('shop/backup-3', failing)).rejects.toThrow('source went away');
    expect(readdirSync(path.join(dir, 'shop'))).toEqual([]);
  });

  it.each(['../escape', '/absolute', 'shop//double', '.hidden', 'shop/ space', ''])(
    'refuses the key %j, for good (not retryable)',
    async (key) => {
      const attempt = () => store.put(key, Readable.from(['x']));
      await expect(attempt()).rejects.toBeInstanceOf(InvalidBackupKeyError);
      await expect(attempt()).rejects.toMatchObject({ retryable: false });
      expect(readdirSync(dir)).toEqual([]);
    },
  );
});

/**
 * Finding and vetting the server binary, with stand-in scripts that print what the real servers print
 * for `--version` (KeyDB and Valkey are not installed on this machine).
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineUnavailableError, UnsupportedOperationError } from '../errors';
import type { EngineNode } from '../types';
import type { ProcessSupervisor } from '../../vm/types';
import { createRedisDriver } from './driver';
import { FLAVOURS, parseServerVersion, resolveBinary, versionMatches } from './flavours';

let dir: string;

async function fakeBinary(name: string, versionLine: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\necho '${versionLine}'\n`);
  await chmod(file, 0o755);
  return file;
}

/** Never reached: these tests stop before any process would start. */
const noSupervisor: ProcessSupervisor = {
  start: () => Promise.reject(new Error('not in this test')),
  stop: () => Promise.reject(new Error('not in this test')),
  isRunning: () => Promise.resolve(false),
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'redis-flavours-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('server versions', () => {
  it('parses what each server prints for --version', () => {
    expect(parseServerVersion('Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64')).toBe('7.0.15');
    expect(parseServerVersion('KeyDB server v=6.3.4 sha=7e7e5e5e:0 malloc=jemalloc-5.2.1 bits=64')).toBe('6.3.4');
    expect(parseServerVersion('Valkey server v=8.0.1 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64')).toBe('8.0.1');
    expect(parseServerVersion('something else')).toBeUndefined();
  });

  it('matches a requested version by its leading components', () => {
    expect(versionMatches('7', '7.0.15')).toBe(true);
    expect(versionMatches('7.0', '7.0.15')).toBe(true);
    expect(versionMatches('7.2', '7.0.15')).toBe(false);
    expect(versionMatches('70', '7.0.15')).toBe(false);
  });
});

describe('resolveBinary', () => {
  it('takes the environment variable first, then the PATH, and says how to provide a missing one', async () => {
    const keydb = await fakeBinary('keydb-server', 'KeyDB server v=6.3.4 sha=0');
    expect(await resolveBinary(FLAVOURS.keydb, undefined, { KEYDB_SERVER_BIN: keydb, PATH: '' })).toBe(keydb);
    expect(await resolveBinary(FLAVOURS.keydb, undefined, { PATH: `/nonexistent:${dir}` })).toBe(keydb);
    const missing = await resolveBinary(FLAVOURS.valkey, undefined, { PATH: dir }).catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(EngineUnavailableError);
    expect((missing as Error).message).toMatch(/valkey-server was not found on the PATH.*VALKEY_SERVER_BIN/);
    const notExecutable = await resolveBinary(FLAVOURS.redis, path.join(dir, 'nothing'), {}).catch(
      (err: unknown) => err,
    );
    expect(notExecutable).toBeInstanceOf(EngineUnavailableError);
  });
});

describe('driver flavours', () => {
  it('offers multi-master for KeyDB only, and checks the binary’s version', async () => {
    const keydb = createRedisDriver({
      supervisor: noSupervisor,
      flavour: 'keydb',
      binary: await fakeBinary('keydb-server', 'KeyDB server v=6.3.4 sha=0'),
    });
    expect(keydb.engine).toBe('keydb');
    expect(keydb.capabilities.multiMaster).toBe(true);
    await keydb.checkAvailable('6');
    await expect(keydb.checkAvailable('7')).rejects.toThrow(/keydb 7 is not available: .* is keydb 6\.3\.4/);

    const valkey = createRedisDriver({
      supervisor: noSupervisor,
      flavour: 'valkey',
      binary: await fakeBinary('valkey-server', 'Valkey server v=8.0.1 sha=0'),
    });
    expect(valkey.capabilities.multiMaster).toBe(false);
    await valkey.checkAvailable('8.0');
    const node = { name: 'v1' } as EngineNode;
    await expect(valkey.configureMultiMaster(node, node)).rejects.toBeInstanceOf(UnsupportedOperationError);
  });

  it('refuses releases older than the driver supports, and version strings that are not versions', async () => {
    const old = createRedisDriver({
      supervisor: noSupervisor,
      binary: await fakeBinary('old-redis-server', 'Redis server v=5.0.14 sha=0'),
    });
    await expect(old.checkAvailable('5')).rejects.toThrow(/too old: the driver needs redis 6\.2 or later/);
    await expect(old.checkAvailable('latest')).rejects.toBeInstanceOf(EngineUnavailableError);
  });
});

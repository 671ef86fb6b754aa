/**
 * One primary with two replicas on the local provider, shared by the steps below (in order): replication,
 * lag, fencing, promotion under a live writer, erase-and-restore of a replica, and restoring the primary.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProvider, type TestProvider } from '../../test/local-provider';
import { BackupChecksumError, ReplicationTimeoutError, UnsupportedOperationError } from '../errors';
import { LocalBackupStore } from '../local-backup-store';
import { createRedisDriver, type RedisEngineDriver } from './index';
import { formatPosition, parsePosition } from './position';
import {
  APP_PASSWORD,
  adminClient,
  appClient,
  createAppUser,
  provisionNode,
  recordingLogger,
  snapshotDatabase,
  testCredentials,
  type TestNode,
} from './test-support';

const CLUSTER = 'rdrepl';
const credentials = testCredentials();
const { logger, lines } = recordingLogger();
const errorMessages: string[] = [];

let env: TestProvider;
let driver: RedisEngineDriver;
let store: LocalBackupStore;
let storeDir: string;
let n1: TestNode;
let n2: TestNode;
let n3: TestNode;
const clients: Redis[] = [];

/** Remembers the messages of expected errors, to check later that none carries a password. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason as Error,
  );
  if (error === undefined) throw new Error('expected the call to fail');
  errorMessages.push(error.message);
  return error;
}

function admin(node: TestNode): Redis {
  const client = adminClient(node);
  clients.push(client);
  return client;
}

function app(node: TestNode): Redis {
  const client = appClient(node.publicHost, node.publicPort, { maxRetriesPerRequest: 1 });
  clients.push(client);
  return client;
}

async function syncReplicas(primary: TestNode, ...replicas: TestNode[]): Promise<void> {
  const position = (await driver.health(primary)).position ?? '';
  for (const replica of replicas) await driver.waitForPosition(replica, position, 30_000);
}

beforeAll(async () => {
  env = await createTestProvider();
  storeDir = await fs.mkdtemp(path.join(os.tmpdir(), 'redis-backups-'));
  store = new LocalBackupStore(storeDir);
  driver = createRedisDriver({ supervisor: env.provider.supervisor, logger });
  [n1, n2, n3] = await Promise.all([1, 2, 3].map((number) => provisionNode(env, CLUSTER, number, credentials)));
  await Promise.all([n1, n2, n3].map((node) => driver.initialise(node)));
  await Promise.all([n1, n2, n3].map((node) => driver.start(node)));
  await driver.configureAsPrimary(n1);
  await createAppUser(n1);
  await app(n1).set('seed:before-backup', 'one');
  // n2 is seeded from a backup of the primary (as deploy does); n3 takes a full sync from the primary.
  const seed = await driver.backup(n1, store, 'seed/n1');
  await driver.restore(n2, store, seed);
  await driver.configureAsReplica(n2, n1);
  await driver.configureAsReplica(n3, n1);
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  try {
    await env?.cleanup();
  } finally {
    if (storeDir) await fs.rm(storeDir, { recursive: true, force: true });
  }
});

describe('redis driver: primary and two replicas', () => {
  it('repeats every mutation harmlessly', async () => {
    await driver.initialise(n1);
    await driver.start(n1);
    await driver.configureAsPrimary(n1);
    await driver.promote(n1);
    await driver.configureAsReplica(n3, n1);
    await driver.configureAsReplica(n3, n1);
    const [h1, h3] = await Promise.all([driver.health(n1), driver.health(n3)]);
    expect(h1).toMatchObject({ up: true, role: 'primary', readOnly: false });
    expect(h3).toMatchObject({
      up: true,
      role: 'replica',
      readOnly: true,
      replication: { primary: `${n1.host}:${n1.port}` },
    });
    // As root, the server runs as the unprivileged `redis` user (the package's), not as root.
    const pid = /process_id:(\d+)/.exec(await admin(n1).info('server'))?.[1];
    const uid = /^Uid:\s+(\d+)/m.exec(await fs.readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
    if (process.getuid?.() === 0) expect(uid).not.toBe('0');
    else expect(uid).toBe(String(process.getuid?.()));
    expect(driver.capabilities.multiMaster).toBe(false);
    expect(await failure(driver.configureMultiMaster(n1, n2))).toBeInstanceOf(UnsupportedOperationError);
  });

  it('replicates writes to both replicas, the users included', async () => {
    await app(n1).hset('profile:1', { name: 'Kundø «x»', visits: '3' });
    await syncReplicas(n1, n2, n3);
    for (const replica of [n2, n3]) {
      const client = app(replica);
      expect(await client.get('seed:before-backup')).toBe('one');
      expect(await client.hgetall('profile:1')).toEqual({ name: 'Kundø «x»', visits: '3' });
      await expect(client.set('x', '1')).rejects.toThrow(/READONLY/);
      const health = await driver.health(replica);
      expect(health.replication).toMatchObject({ state: 'streaming', lagBytes: 0, lagSeconds: 0 });
    }
  });

  it('reports lag that grows while a replica stops applying, and a stopped node as down', async () => {
    // CLIENT PAUSE WRITE also holds back the replication stream the replica applies; it stays up.
    await admin(n3).call('CLIENT', 'PAUSE', '60000', 'WRITE');
    await app(n1).set('lag:1', 'x'.repeat(1000));
    const first = (await driver.health(n3)).replication;
    await sleep(1100);
    await app(n1).set('lag:2', 'y'.repeat(1000));
    const second = (await driver.health(n3)).replication;
    expect(first?.lagBytes).toBeGreaterThan(1000);
    expect(second?.lagBytes).toBeGreaterThan(first?.lagBytes ?? Infinity);
    expect(second?.lagSeconds).toBeGreaterThan(first?.lagSeconds ?? Infinity);
    await admin(n3).call('CLIENT', 'UNPAUSE');
    await syncReplicas(n1, n3);
    expect((await driver.health(n3)).replication).toMatchObject({ lagBytes: 0, lagSeconds: 0 });

    const current = parsePosition((await driver.health(n1)).position ?? '');
    const wanted = formatPosition(current.replicationId, current.offset + 1_000_000);
    const timeout = await failure(driver.waitForPosition(n3, wanted, 300));
    expect(timeout).toBeInstanceOf(ReplicationTimeoutError);
    expect(timeout.message).toContain(n3.name);
    expect(timeout.message).toContain(wanted);

    await driver.stop(n3);
    await driver.stop(n3);
    expect(await driver.health(n3)).toMatchObject({ up: false, role: 'unknown' });
    await app(n1).set('lag:3', 'while n3 was down');
    await driver.start(n3);
    await syncReplicas(n1, n3);
    expect(await app(n3).get('lag:3')).toBe('while n3 was down');
  });

  it('fences the primary: ordinary clients cannot write, reads go on', async () => {
    const client = app(n1);
    await client.set('fence:before', '1');
    const position = await driver.fence(n1);
    await expect(client.set('fence:after', '1')).rejects.toThrow(/NOREPLICAS/);
    expect(await client.get('fence:before')).toBe('1');
    expect(await driver.health(n1)).toMatchObject({ role: 'primary', readOnly: true });
    expect(parsePosition(await driver.fence(n1)).offset).toBeGreaterThanOrEqual(parsePosition(position).offset);
    // Lifting the fence (promote on a primary) makes it writable again.
    await driver.promote(n1);
    await client.set('fence:lifted', '1');
    expect((await driver.health(n1)).readOnly).toBe(false);
  });
});

describe('redis driver: promotion under a live writer', () => {
  it('keeps every acknowledged write when n2 takes over from n1', async () => {
    const endpoint = await env.provider.setEndpoint(CLUSTER, { host: n1.publicHost, port: n1.publicPort });
    // The writer reconnects through the endpoint whenever a write fails and retries the same key.
    const writer = appClient(endpoint.host, endpoint.port, {
      maxRetriesPerRequest: 0,
      retryStrategy: () => 20,
      reconnectOnError: (err: Error) => /READONLY|NOREPLICAS/.test(err.message),
    });
    clients.push(writer);
    const acknowledged: string[] = [];
    let failures = 0;
    let stop = false;
    const writing = (async () => {
      for (let n = 0; !stop;) {
        try {
          await writer.set(`w:${n}`, String(n));
          acknowledged.push(`w:${n}`);
          n += 1;
        } catch {
          failures += 1;
          await sleep(10);
        }
      }
    })();
    const waitForAcks = async (count: number) => {
      while (acknowledged.length < count) await sleep(10);
    };
    await waitForAcks(50);

    const position = await driver.fence(n1);
    await driver.waitForPosition(n2, position, 30_000);
    await driver.promote(n2);
    await driver.configureAsReplica(n3, n2);
    await driver.configureAsReplica(n1, n2);
    await env.provider.setEndpoint(CLUSTER, { host: n2.publicHost, port: n2.publicPort });
    const switched = acknowledged.length;
    await waitForAcks(switched + 50);
    stop = true;
    await writing;

    await syncReplicas(n2, n1, n3);
    for (const node of [n2, n1, n3]) {
      const client = admin(node);
      const values = await client.mget(acknowledged);
      const missing = acknowledged.filter((key, index) => values[index] !== key.slice(2));
      expect(missing, `acknowledged writes missing on ${node.name}`).toEqual([]);
    }
    expect(await driver.health(n2)).toMatchObject({ role: 'primary', readOnly: false });
    expect(await driver.health(n1)).toMatchObject({
      role: 'replica',
      replication: { primary: `${n2.host}:${n2.port}`, state: 'streaming' },
    });
    // The app user was copied to every replica, so it works on the promoted node.
    expect(await app(n2).get('seed:before-backup')).toBe('one');
    expect(failures).toBeGreaterThan(0);
  });
});

describe('redis driver: backups', () => {
  it('brings an erased replica back in sync from a backup, and refuses a corrupt one', async () => {
    const backup = await driver.backup(n2, store, 'resync/n2');
    expect(backup).toMatchObject({ engine: 'redis', sizeBytes: expect.any(Number), sha256: expect.any(String) });

    const corrupt = { ...backup, key: 'resync/corrupt' };
    const bytes = await fs.readFile(backup.location);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    await fs.writeFile(store.pathOf(corrupt.key), bytes);
    expect(await failure(driver.restore(n3, store, corrupt))).toBeInstanceOf(BackupChecksumError);
    expect((await driver.health(n3)).up).toBe(true);

    await driver.erase(n3);
    await driver.erase(n3);
    expect((await driver.health(n3)).up).toBe(false);
    await driver.restore(n3, store, backup);
    await driver.configureAsReplica(n3, n2);
    await app(n2).set('resync:after', 'fresh');
    await syncReplicas(n2, n3);
    expect(await snapshotDatabase(admin(n3))).toEqual(await snapshotDatabase(admin(n2)));
  });

  it('restores the primary to exactly the backed-up data', async () => {
    const primary = admin(n2);
    await primary.set('ttl:key', 'v', 'EX', 3600);
    const before = await snapshotDatabase(primary);
    const backup = await driver.backup(n2, store, 'point/n2');
    await app(n2).set('after:backup', 'gone after restore');
    await app(n2).del('seed:before-backup');

    await driver.restore(n2, store, backup);
    const restored = admin(n2);
    expect(await restored.exists('after:backup')).toBe(0);
    expect(await snapshotDatabase(restored)).toEqual(before);
    expect(await driver.health(n2)).toMatchObject({ up: true, role: 'primary', readOnly: false });
    // The restored node runs with its append-only file on again, so a restart keeps the data.
    expect(await restored.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    await driver.stop(n2);
    await driver.start(n2);
    expect(await snapshotDatabase(admin(n2))).toEqual(before);
  });

  it('restores a backup into a node that was never initialised (a new cluster)', async () => {
    const backup = await driver.backup(n2, store, 'new-cluster/n2');
    const fresh = await provisionNode(env, 'rdnew', 1, testCredentials());
    await driver.restore(fresh, store, backup);
    expect(await snapshotDatabase(admin(fresh))).toEqual(await snapshotDatabase(admin(n2)));
    expect(await driver.health(fresh)).toMatchObject({ up: true, role: 'primary', readOnly: false });
  });

  it('never puts a password in an error or a log line', () => {
    const secrets = [credentials.adminPassword, credentials.replicationPassword, APP_PASSWORD];
    for (const text of [...errorMessages, ...lines]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
    expect(lines.length).toBeGreaterThan(0);
  });
});

/**
 * The cluster owner on real Redis nodes, attacked as a hostile tenant would with the credentials the
 * API hands out: every data command works; the commands that reach the server's files, its role,
 * its users or the fence are refused with Redis's own NOPERM error; a fence refuses every write of
 * the owner, open connections included, and a switchover under its writes loses nothing.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { createTestProvider, type TestProvider } from '../../test/local-provider';
import { startFenceWriter } from '../../test/fence-writer';
import { breaksWhileReading } from '../../test/unreadable-store';
import { LocalBackupStore } from '../local-backup-store';
import type { EngineDriver } from '../types';
import { createRedisDriver } from './index';
import { adminClient, provisionNode, testCredentials, type TestNode } from './test-support';

const CLUSTER = 'rdown';
const credentials = { ...testCredentials(), ownerUser: 'owner', ownerPassword: `Own "er\\#${process.pid}` };

let env: TestProvider;
let driver: EngineDriver;
let primary: TestNode;
let replica: TestNode;

/** A connection through the node's firewall, as a tenant connects. */
function ownerClient(node: TestNode, password = credentials.ownerPassword): Redis {
  const client = new Redis({
    host: node.publicHost,
    port: node.publicPort,
    username: credentials.ownerUser,
    password,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    lazyConnect: true,
    disableClientInfo: true,
  });
  client.on('error', () => undefined);
  return client;
}

async function asOwner<T>(node: TestNode, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = ownerClient(node);
  await client.connect();
  try {
    return await work(client);
  } finally {
    client.disconnect();
  }
}

/** The command fails on the server with an error matching `pattern` (Redis's own words). */
async function refused(work: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await work.then(
    () => undefined,
    (err: unknown) => err as Error,
  );
  expect(error, 'expected the server to refuse').toBeInstanceOf(Error);
  expect(error!.message).toMatch(pattern);
}

beforeAll(async () => {
  env = await createTestProvider();
  driver = createRedisDriver({ supervisor: env.provider.supervisor });
  [primary, replica] = await Promise.all([
    provisionNode(env, CLUSTER, 1, credentials),
    provisionNode(env, CLUSTER, 2, credentials),
  ]);
  await Promise.all([driver.initialise(primary), driver.initialise(replica)]);
  await Promise.all([driver.start(primary), driver.start(replica)]);
  await driver.configureAsPrimary(primary);
  await driver.configureAsReplica(replica, primary);
}, 120_000);

afterAll(async () => {
  await env?.cleanup();
}, 120_000);

describe('Redis cluster owner', () => {
  it('runs every data command an application needs', async () => {
    await asOwner(primary, async (owner) => {
      await owner.set('greeting', 'hello');
      await owner.hset('cart:1', { coffee: '2', tea: '1' });
      await owner.expire('greeting', 3600);
      await owner.select(3);
      await owner.set('other-db', '1');
      await owner.flushdb();
      await owner.select(0);
      expect(await owner.keys('*')).toEqual(expect.arrayContaining(['greeting', 'cart:1']));
      expect(await owner.eval("return redis.call('get', KEYS[1])", 1, 'greeting')).toBe('hello');
      const dumped = await owner.dumpBuffer('greeting');
      await owner.restore('copied', 0, dumped!, 'REPLACE');
      expect(await owner.get('copied')).toBe('hello');
      expect(await owner.info('server')).toMatch(/redis_version/);
      expect(await owner.call('ACL', 'WHOAMI')).toBe('owner');
    });
  });

  it("refuses every command that reaches the server's files, role, users or fence with NOPERM", async () => {
    await asOwner(primary, async (owner) => {
      const attempts: string[][] = [
        ['CONFIG', 'SET', 'dir', '/tmp'],
        ['CONFIG', 'SET', 'min-replicas-to-write', '0'],
        ['CONFIG', 'GET', 'masterauth'],
        ['CONFIG', 'REWRITE'],
        ['DEBUG', 'SLEEP', '0'],
        ['MODULE', 'LOAD', '/tmp/evil.so'],
        ['REPLICAOF', '127.0.0.1', '6379'],
        ['SLAVEOF', 'NO', 'ONE'],
        ['SHUTDOWN', 'NOSAVE'],
        ['ACL', 'SETUSER', 'owner', '+@all'],
        ['ACL', 'SETUSER', 'sneaky', 'on', '>pw', '+@all'],
        ['ACL', 'DELUSER', credentials.replicationUser],
        ['ACL', 'LIST'],
        ['ACL', 'LOAD'],
        ['FAILOVER'],
        ['SAVE'],
        ['BGSAVE'],
        ['BGREWRITEAOF'],
        ['MIGRATE', '127.0.0.1', '6379', 'greeting', '0', '1000'],
        ['SYNC'],
        ['PSYNC', '?', '-1'],
        ['MONITOR'],
        ['CLIENT', 'KILL', 'TYPE', 'normal'],
        ['CLIENT', 'PAUSE', '1000'],
        ['CLIENT', 'LIST'],
        ['SLOWLOG', 'GET'],
        ['CLUSTER', 'INFO'],
      ];
      for (const command of attempts) {
        // DEBUG and MODULE are switched off for every user, which Redis checks before the ACL.
        const pattern = ['DEBUG', 'MODULE'].includes(command[0]!) ? /NOPERM|command not allowed/ : /NOPERM/;
        await refused(owner.call(command[0]!, ...command.slice(1)), pattern);
      }
    });
    // Nothing changed: the admin still sees the product's users and settings.
    const admin = adminClient(primary);
    try {
      expect(await admin.call('ACL', 'USERS')).toEqual(
        expect.arrayContaining([credentials.adminUser, credentials.replicationUser, credentials.ownerUser]),
      );
      expect(await admin.config('GET', 'sanitize-dump-payload')).toEqual(['sanitize-dump-payload', 'yes']);
      expect(await admin.config('GET', 'dir')).not.toEqual(['dir', '/tmp']);
    } finally {
      admin.disconnect();
    }
  });

  it('refuses a crafted RESTORE payload with a valid checksum instead of loading it (sanitize-dump-payload)', async () => {
    await asOwner(primary, async (owner) => {
      const good = (await owner.dumpBuffer('cart:1'))!;
      // A small hash is a listpack: type, length, then the listpack's total bytes (4) and entry count (2).
      const body = Buffer.from(good.subarray(0, good.length - 8));
      expect(body[0]).toBe(16);
      body[6] = body[6]! + 1; // one entry more than there is: only a deep check of the payload notices
      const crafted = Buffer.concat([body, Buffer.alloc(8)]);
      crafted.writeBigUInt64LE(crc64(body), body.length);
      await refused(owner.restore('crafted', 0, crafted), /Bad data format/);
      expect(await owner.exists('crafted')).toBe(0);
    });
  });

  it('changes the owner password on every node without dropping the connections it has open', async () => {
    const open = ownerClient(primary);
    await open.connect();
    const rotated = { ...credentials, ownerPassword: `rotated-${process.pid}` };
    await driver.ensureOwner({ ...primary, credentials: rotated });
    await driver.ensureOwner({ ...replica, credentials: rotated });
    expect(await open.get('greeting')).toBe('hello');
    open.disconnect();
    for (const node of [primary, replica]) {
      // Not logged in: the ready check would fail, and the old password is tried by hand.
      const anonymous = new Redis({
        host: node.publicHost,
        port: node.publicPort,
        lazyConnect: true,
        enableReadyCheck: false,
        disableClientInfo: true,
        // RESP2: RESP3's HELLO would need a login first.
        protocol: 2,
      });
      anonymous.on('error', () => undefined);
      await anonymous.connect();
      await refused(anonymous.call('AUTH', credentials.ownerUser, credentials.ownerPassword), /WRONGPASS/);
      anonymous.disconnect();
      const fresh = ownerClient(node, rotated.ownerPassword);
      await fresh.connect();
      expect(await fresh.ping()).toBe('PONG');
      fresh.disconnect();
    }
    await driver.ensureOwner(primary);
    await driver.ensureOwner(replica);
  });

  it('cannot write past a fence, on open connections or new ones; a switchover under its writes loses nothing', async () => {
    const writer = startFenceWriter({
      async open() {
        const client = ownerClient(primary);
        await client.connect();
        return client;
      },
      write: (client, id) => client.rpush('writes', String(id)),
      close: (client) => client.disconnect(),
    });
    const open = ownerClient(primary);
    await open.connect();
    await writer.waitFor(50);

    const position = await driver.fence(primary);
    writer.fenced();
    await refused(open.set('after-fence', '1'), /NOREPLICAS/);
    await refused(open.eval("return redis.call('set', 'after-fence', '1')", 0), /NOREPLICAS/);
    await refused(open.call('CONFIG', 'SET', 'min-replicas-to-write', '0'), /NOPERM/);
    await refused(open.call('REPLICAOF', 'NO', 'ONE'), /NOPERM/);
    open.disconnect();

    await driver.waitForPosition(replica, position, 30_000);
    await driver.promote(replica);
    expect(await writer.stop()).toBe(0);
    expect(writer.acknowledged.length).toBeGreaterThanOrEqual(50);
    const onNewPrimary = await asOwner(replica, (owner) => owner.lrange('writes', 0, -1));
    const stored = new Set(onNewPrimary.map(Number));
    expect(writer.acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    expect(await asOwner(replica, (owner) => owner.exists('after-fence'))).toBe(0);
    await asOwner(replica, (owner) => owner.set('on-new-primary', '1'));

    // An aborted promotion's way back: configuring the old primary as primary again lets the owner write.
    await driver.configureAsPrimary(primary);
    await asOwner(primary, (owner) => owner.set('unfenced', '1'));
  });
});

describe('Redis restore safety', () => {
  it('leaves the node running with its data when the backup breaks off while being read', async () => {
    const store = new LocalBackupStore(path.join(env.baseDir, 'backups'));
    const backup = await driver.backup(replica, store, 'rdown/breaks');
    await expect(driver.restore(replica, breaksWhileReading(store), backup)).rejects.toThrow();
    expect(await driver.health(replica)).toMatchObject({ up: true, role: 'primary' });
    expect(await asOwner(replica, (owner) => owner.get('on-new-primary'))).toBe('1');
  });
});

/** Redis's CRC-64 (Jones polynomial, reflected), as DUMP payloads carry it. */
function crc64(data: Buffer): bigint {
  const POLY = 0x95ac9329ac4bc9b5n;
  let crc = 0n;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ POLY : crc >> 1n;
  }
  return crc;
}

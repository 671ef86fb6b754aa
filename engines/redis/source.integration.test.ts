/**
 * Migration from the machine's own Redis (127.0.0.1:6379, no password) into a node: a few keys of every
 * type are written to database 13 under a test prefix and deleted afterwards. Also the bad inputs:
 * unreachable and silent sources, wrong credentials, too little disk, unsupported versions.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProvider, type TestProvider } from '../../test/local-provider';
import { BadCredentialsError, EngineUnavailableError, InsufficientDiskError, SourceUnreachableError } from '../errors';
import type { CopyProgress, ExternalSource } from '../types';
import { createRedisDriver, type RedisEngineDriver } from './index';
import { checkSource } from './source';
import {
  adminClient,
  provisionNode,
  recordingLogger,
  snapshotDatabase,
  testCredentials,
  type TestNode,
} from './test-support';

const DB = 13;
const PREFIX = `copytest:${randomBytes(4).toString('hex')}:`;
const source: ExternalSource = { host: '127.0.0.1', port: 6379, user: '', password: '', database: String(DB) };
const credentials = testCredentials();
const { logger, lines } = recordingLogger();
const errorMessages: string[] = [];
const WRONG_PASSWORD = `wrong-${randomBytes(6).toString('hex')}`;

let env: TestProvider;
let driver: RedisEngineDriver;
let node: TestNode;
let external: Redis;
let target: Redis;

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason as Error,
  );
  if (error === undefined) throw new Error('expected the call to fail');
  errorMessages.push(error.message);
  return error;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Accepts connections and never answers: a source behind a black-holing firewall. */
async function silentServer(): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port, sockets };
}

async function writeSourceKeys(): Promise<void> {
  const p = PREFIX;
  await external.set(`${p}string`, 'plain value');
  await external.set(Buffer.from([...Buffer.from(p), 0x00, 0xff, 0x0a]), Buffer.from([0, 1, 2, 255, 13, 10]));
  await external.set(`${p}large`, 'z'.repeat(300_000));
  await external.set(`${p}ttl`, 'expires later', 'EX', 3600);
  await external.hset(`${p}hash`, { a: '1', b: 'two', 'c d': 'three' });
  await external.rpush(`${p}list`, 'x', 'y', 'z', 'x');
  await external.sadd(`${p}set`, 'one', 'two', 'three');
  await external.zadd(`${p}zset`, 1.5, 'low', 99, 'high', -3, 'neg');
  await external.xadd(`${p}stream`, '1-1', 'field', 'value');
  await external.xadd(`${p}stream`, '2-1', 'other', 'entry');
  await external.pfadd(`${p}hll`, 'a', 'b', 'c');
  for (let n = 0; n < 1200; n++) await external.set(`${p}many:${n}`, String(n));
  await external.expire(`${p}many:7`, 3600);
}

beforeAll(async () => {
  env = await createTestProvider();
  driver = createRedisDriver({ supervisor: env.provider.supervisor, logger });
  node = await provisionNode(env, 'rdcopy', 1, credentials);
  await driver.initialise(node);
  await driver.start(node);
  await driver.configureAsPrimary(node);
  external = new Redis({ host: source.host, port: source.port, db: DB });
  await writeSourceKeys();
  target = adminClient(node, DB);
});

afterAll(async () => {
  try {
    if (external !== undefined) {
      let cursor = '0';
      do {
        const [next, keys] = await external.scanBuffer(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
        cursor = next.toString();
        if (keys.length > 0) await external.del(...keys);
      } while (cursor !== '0');
      external.disconnect();
    }
    target?.disconnect();
  } finally {
    await env?.cleanup();
  }
});

describe('redis driver: migration from an external source', () => {
  it('checks the source: version, size, key count, no blockers', async () => {
    const report = await driver.checkSource(source);
    expect(report.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(report.sizeBytes).toBeGreaterThan(0);
    expect(report.blockers).toEqual([]);
    expect(report.database).toBe(DB);
    expect(report.keyCount).toBe(await external.dbsize());
    expect(report.keyCount).toBeGreaterThanOrEqual(1210);
  });

  it('reports what blocks a copy: a database index out of range, a newer RDB format than the target loads', async () => {
    const outOfRange = await driver.checkSource({ ...source, database: '16' });
    expect(outOfRange.blockers.join('\n')).toMatch(/database "16"/);
    const olderTarget = await checkSource(source, { flavour: 'redis', rdbFormat: 9 });
    expect(olderTarget.blockers.join('\n')).toMatch(/RDB format \d+ but this redis loads formats up to 9/);
  });

  it('refuses to copy onto a disk smaller than the source, before copying anything', async () => {
    const small = createRedisDriver({ supervisor: env.provider.supervisor, freeDiskBytes: async () => 4096 });
    const error = await failure(small.copyFrom(source, node));
    expect(error).toBeInstanceOf(InsufficientDiskError);
    expect(error.message).toContain(node.name);
    expect(await target.dbsize()).toBe(0);
  });

  it('copies every key with its type, value and TTL, reporting progress', async () => {
    const progress: CopyProgress[] = [];
    const report = await driver.copyFrom(source, node, (p) => progress.push(p));
    const expected = await snapshotDatabase(external);
    expect(report).toMatchObject({ unit: 'keys', copied: expected.size });
    expect(progress.at(-1)).toMatchObject({ done: expected.size, total: expected.size, unit: 'keys' });
    expect(progress.length).toBeGreaterThan(2);
    expect(await snapshotDatabase(target)).toEqual(expected);
    expect(await target.pttl(`${PREFIX}ttl`)).toBeGreaterThan(3_000_000);
    expect(await target.pttl(`${PREFIX}string`)).toBe(-1);
  });

  it('reports an unreachable source within the bound, naming host and port', async () => {
    const port = await closedPort();
    const refused = await failure(driver.checkSource({ ...source, port }));
    expect(refused).toBeInstanceOf(SourceUnreachableError);
    expect(refused.message).toContain(`127.0.0.1:${port}`);

    const silent = await silentServer();
    try {
      const started = Date.now();
      const timedOut = await failure(driver.checkSource({ ...source, port: silent.port }, 300));
      expect(timedOut).toBeInstanceOf(SourceUnreachableError);
      expect(timedOut.message).toContain(`127.0.0.1:${silent.port}`);
      // Without the bound this would wait forever; the margin only absorbs a loaded machine.
      expect(Date.now() - started).toBeLessThan(300 + 5000);
    } finally {
      for (const socket of silent.sockets) socket.destroy();
      silent.server.close();
    }
  });

  it('reports wrong credentials naming the user and never the password', async () => {
    const onNode = { host: node.host, port: node.port, database: '0' };
    for (const user of [credentials.adminUser, 'nobody']) {
      const error = await failure(driver.checkSource({ ...onNode, user, password: WRONG_PASSWORD }));
      expect(error).toBeInstanceOf(BadCredentialsError);
      expect(error.message).toContain(`"${user}"`);
    }
    const copy = await failure(driver.copyFrom({ ...onNode, user: 'nobody', password: WRONG_PASSWORD }, node));
    expect(copy).toBeInstanceOf(BadCredentialsError);
  });

  it('rejects versions and flavours it cannot run', async () => {
    await driver.checkAvailable('7');
    for (const version of ['6.2', '8', 'latest']) {
      expect(await failure(driver.checkAvailable(version))).toBeInstanceOf(EngineUnavailableError);
    }
    const valkey = createRedisDriver({ supervisor: env.provider.supervisor, flavour: 'valkey' });
    const missing = await failure(valkey.checkAvailable('8'));
    expect(missing).toBeInstanceOf(EngineUnavailableError);
    expect(missing.message).toMatch(/valkey-server.*VALKEY_SERVER_BIN/);
  });

  it('never puts a password in an error or a log line', () => {
    for (const text of [...errorMessages, ...lines]) {
      for (const secret of [WRONG_PASSWORD, credentials.adminPassword, credentials.replicationPassword]) {
        expect(text).not.toContain(secret);
      }
    }
    expect(lines.some((line) => line.startsWith('source copied'))).toBe(true);
  });
});

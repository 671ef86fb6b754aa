/**
 * Helpers for the driver's integration tests: nodes on the local provider, connections as the admin or
 * as an ordinary application user, a dump of a database for comparisons, and a log that remembers every
 * line (to prove no password is ever logged).
 */
import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { provisionTestNode, type TestNode, type TestProvider } from '../../test/local-provider';
export { recordingLogger, type TestNode } from '../../test/local-provider';
import type { EngineCredentials, EngineNode } from '../types';

export function testCredentials(): EngineCredentials {
  // Quotes, backslashes, spaces and '#' must survive the configuration file's quoting (masterauth).
  return {
    adminUser: 'orch_admin',
    adminPassword: `Adm"in \\#${randomBytes(6).toString('hex')}`,
    replicationUser: 'orch_repl',
    replicationPassword: `Re pl'"\\${randomBytes(6).toString('hex')}`,
    ownerUser: 'owner',
    ownerPassword: `Ow ner"\\${randomBytes(6).toString('hex')}`,
  };
}

export function provisionNode(
  env: TestProvider,
  cluster: string,
  number: number,
  credentials: EngineCredentials,
): Promise<TestNode> {
  return provisionTestNode(env, { engine: 'redis', version: '7', cluster, number, credentials, ramMb: 256 });
}

const quiet = (client: Redis) => {
  client.on('error', () => undefined);
  return client;
};

/** The orchestrator's admin user on the node's private port. */
export function adminClient(node: EngineNode, db = 0): Redis {
  return quiet(
    new Redis({
      host: node.host,
      port: node.port,
      username: node.credentials.adminUser,
      password: node.credentials.adminPassword,
      db,
      maxRetriesPerRequest: 1,
    }),
  );
}

export const APP_USER = 'app';
export const APP_PASSWORD = `app-${randomBytes(6).toString('hex')}`;

/** Creates the ordinary application user: every data command, nothing administrative. */
export async function createAppUser(primary: EngineNode): Promise<void> {
  const client = adminClient(primary);
  try {
    await client.call(
      'ACL',
      'SETUSER',
      APP_USER,
      'on',
      `>${APP_PASSWORD}`,
      '~*',
      '&*',
      '+@all',
      '-@admin',
      '-@dangerous',
    );
    await client.call('ACL', 'SAVE');
  } finally {
    client.disconnect();
  }
}

/** An application client through a public address (node firewall or cluster endpoint). */
export function appClient(host: string, port: number, options: RedisOptions = {}): Redis {
  // The app user may not run INFO (it is @dangerous), which ioredis's ready check would use.
  return quiet(
    new Redis({
      host,
      port,
      username: APP_USER,
      password: APP_PASSWORD,
      enableReadyCheck: false,
      ...options,
    }),
  );
}

/** Every key of a database with its type, value and whether it expires, for exact comparisons. */
export async function snapshotDatabase(client: Redis, pattern = '*'): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await client.scanBuffer(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next.toString();
    for (const key of keys) result.set(key.toString('hex'), await describeKey(client, key));
  } while (cursor !== '0');
  return result;
}

async function describeKey(client: Redis, key: Buffer): Promise<string> {
  const type = await client.type(key);
  const expires = (await client.pttl(key)) > 0 ? 'expires' : 'persistent';
  let value: unknown;
  switch (type) {
    case 'string':
      value = (await client.getBuffer(key))?.toString('hex');
      break;
    case 'hash':
      value = Object.entries(await client.hgetall(key)).sort();
      break;
    case 'list':
      value = await client.lrange(key, 0, -1);
      break;
    case 'set':
      value = (await client.smembers(key)).sort();
      break;
    case 'zset':
      value = await client.call('ZRANGE', key, '0', '-1', 'WITHSCORES');
      break;
    case 'stream':
      value = await client.xrange(key, '-', '+');
      break;
    default:
      value = (await client.dumpBuffer(key))?.toString('hex');
  }
  return JSON.stringify([type, expires, value]);
}

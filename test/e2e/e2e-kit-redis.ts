/**
 * Redis for the end-to-end scenario: ACL user `app` limited to keys `item:*` (saved to the ACL file
 * so it survives restarts, as a careful operator would); items are string keys `item:<id>`. The
 * migration source is a key prefix in database 11 of the machine's own server (127.0.0.1:6379, no
 * password), deleted afterwards.
 */
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { item, sortItems, type Address, type AppClient, type EngineKit, type Item } from './e2e-engine-kit';

const APP_USER = 'app';
const APP_PASSWORD = `app-${randomBytes(8).toString('hex')}`;
const SOURCE_DB = 11;
const LOCAL_SERVER = { host: '127.0.0.1', port: 6379 };

function open(address: Address, user: string, password: string, db = 0): Redis {
  const client = new Redis({
    host: address.host,
    port: address.port,
    username: user,
    password,
    db,
    // Fail fast instead of queueing commands while the endpoint moves: the caller decides what to retry.
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    // The application user may not run INFO, which ioredis's ready check uses.
    enableReadyCheck: false,
    lazyConnect: true,
    connectTimeout: 10_000,
  });
  client.on('error', () => undefined);
  return client;
}

async function withClient<T>(client: Redis, work: (client: Redis) => Promise<T>): Promise<T> {
  try {
    await client.connect();
    return await work(client);
  } finally {
    client.disconnect();
  }
}

/** Every `<prefix><id>` key with its value, as items. */
async function prefixedItems(client: Redis, prefix: string): Promise<Item[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await client.mget(...keys);
  return sortItems(keys.map((key, i) => item(Number(key.slice(prefix.length)), String(values[i]))));
}

const resp = (...parts: string[]) =>
  `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;

export const redisKit: EngineKit = {
  engine: 'redis',
  version: '7',

  async prepare(primary, credentials) {
    await withClient(open(primary, credentials.adminUser, credentials.adminPassword), async (client) => {
      await client.call('ACL', 'SETUSER', APP_USER, 'on', `>${APP_PASSWORD}`, '~item:*', '+@all', '-@dangerous');
      await client.call('ACL', 'SAVE');
    });
  },

  async connect(address, options = {}) {
    if (options.localAddress) throw new Error('the redis kit binds source addresses only in admits()');
    const client = open(address, APP_USER, APP_PASSWORD);
    await client.connect();
    const app: AppClient = {
      async insert(id, value) {
        await client.set(`item:${id}`, value);
      },
      items: () => prefixedItems(client, 'item:'),
      async close() {
        client.disconnect();
      },
    };
    return app;
  },

  /** ioredis cannot bind a source address: AUTH + PING by hand. */
  admits(address, localAddress) {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: address.host, port: address.port, localAddress });
      let received = '';
      socket.setEncoding('utf8');
      socket.on('connect', () => socket.write(resp('AUTH', APP_USER, APP_PASSWORD) + resp('PING')));
      socket.on('data', (chunk: string) => {
        received += chunk;
        if (received.startsWith('-')) {
          socket.destroy();
          reject(new Error(`redis at ${address.host}:${address.port} answered ${received.split('\r\n')[0]}`));
        } else if (received.includes('+PONG\r\n')) {
          socket.destroy();
          resolve(true);
        }
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (received === '' && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) resolve(false);
        else reject(err);
      });
      socket.on('close', () => {
        if (received === '') resolve(false);
      });
    });
  },

  itemsOn(node, credentials) {
    return withClient(open(node, credentials.adminUser, credentials.adminPassword), (client) =>
      prefixedItems(client, 'item:'),
    );
  },

  async createSource(rows) {
    const prefix = `e2esrc:${randomBytes(4).toString('hex')}:`;
    const local = new Redis({ ...LOCAL_SERVER, db: SOURCE_DB, lazyConnect: true });
    local.on('error', () => undefined);
    await local.connect();
    const pipeline = local.pipeline();
    for (let id = 1; id <= rows; id++) pipeline.set(`${prefix}${id}`, `source ${id}`);
    await pipeline.exec();
    return {
      // The migration workflow requires a user name; `default` is Redis's user for password-only (or no) auth.
      source: { ...LOCAL_SERVER, user: 'default', password: '', database: String(SOURCE_DB) },
      items: await prefixedItems(local, prefix),
      itemsOn: (node, credentials) =>
        withClient(open(node, credentials.adminUser, credentials.adminPassword, SOURCE_DB), (client) =>
          prefixedItems(client, prefix),
        ),
      drop: async () => {
        try {
          const keys: string[] = [];
          let cursor = '0';
          do {
            const [next, batch] = await local.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
            cursor = next;
            keys.push(...batch);
          } while (cursor !== '0');
          if (keys.length > 0) await local.del(...keys);
        } finally {
          local.disconnect();
        }
      },
    };
  },
};

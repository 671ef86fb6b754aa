/**
 * PostgreSQL for the end-to-end scenario: role `app` owning database `appdb` with table `items`;
 * the migration source is a scratch database on the machine's own server (127.0.0.1:5432, user
 * postgres without password), dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { Client, type ClientConfig } from 'pg';
import type { Credentials } from '../../workflows/types';
import { item, sortItems, type Address, type AppClient, type EngineKit, type Item } from './e2e-engine-kit';

const APP_USER = 'app';
const APP_PASSWORD = `app-${randomBytes(8).toString('hex')}`;
const LOCAL_SERVER = { host: '127.0.0.1', port: 5432, user: 'postgres', password: '' };

/** A socket that connects from a chosen local address (pg has no option for it). */
function boundSocket(localAddress: string): () => Socket {
  return () => {
    const socket = new Socket();
    const connect = socket.connect.bind(socket) as (options: object) => Socket;
    // pg calls connect(port, host); the source address rides along in the options form.
    Object.assign(socket, {
      connect: (port: number, host: string) => connect({ port, host, localAddress }),
    });
    return socket;
  };
}

async function query(config: ClientConfig, text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionTimeoutMillis: 10_000, ...config });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

const admin = (address: Address, credentials: Credentials, database = 'postgres'): ClientConfig => ({
  host: address.host,
  port: address.port,
  user: credentials.adminUser,
  password: credentials.adminPassword,
  database,
});

const asItems = (rows: Record<string, unknown>[]): Item[] =>
  sortItems(rows.map((row) => item(Number(row.id), String(row.value))));

export const postgresKit: EngineKit = {
  engine: 'postgresql',
  version: '15',

  async prepare(primary, credentials) {
    await query(admin(primary, credentials), `create role ${APP_USER} login password '${APP_PASSWORD}'`);
    await query(admin(primary, credentials), `create database appdb owner ${APP_USER}`);
    await query(
      { host: primary.host, port: primary.port, user: APP_USER, password: APP_PASSWORD, database: 'appdb' },
      'create table items (id integer primary key, value text not null)',
    );
  },

  async connect(address, options = {}) {
    const client = new Client({
      host: address.host,
      port: address.port,
      user: APP_USER,
      password: APP_PASSWORD,
      database: 'appdb',
      connectionTimeoutMillis: 10_000,
      ...(options.localAddress ? { stream: boundSocket(options.localAddress) } : {}),
    });
    // A connection the endpoint or a fence closes is reported by the next query; nothing to do here.
    client.on('error', () => undefined);
    await client.connect();
    const app: AppClient = {
      async insert(id, value) {
        await client.query('insert into items (id, value) values ($1, $2)', [id, value]);
      },
      async items() {
        return asItems((await client.query('select id, value from items')).rows);
      },
      async close() {
        await client.end().catch(() => undefined);
      },
    };
    return app;
  },

  async admits(address, localAddress) {
    let client: AppClient;
    try {
      client = await postgresKit.connect(address, { localAddress });
    } catch (err) {
      if (/Connection terminated unexpectedly|ECONNRESET/.test((err as Error).message)) return false;
      throw err;
    }
    try {
      await client.items();
      return true;
    } finally {
      await client.close();
    }
  },

  async itemsOn(node, credentials) {
    return asItems(await query(admin(node, credentials, 'appdb'), 'select id, value from items'));
  },

  async createSource(rows) {
    const database = `e2e_src_${randomBytes(4).toString('hex')}`;
    await query({ ...LOCAL_SERVER, database: 'postgres' }, `create database ${database}`);
    await query(
      { ...LOCAL_SERVER, database },
      `create table migrated (id integer primary key, value text not null);
       insert into migrated select g, 'source ' || g from generate_series(1, ${rows}) g`,
    );
    const read = (config: ClientConfig) => query(config, 'select id, value from migrated');
    return {
      source: { ...LOCAL_SERVER, password: 'unused-trust', database },
      items: asItems(await read({ ...LOCAL_SERVER, database })),
      itemsOn: async (node, credentials) => asItems(await read(admin(node, credentials, database))),
      drop: async () => {
        await query({ ...LOCAL_SERVER, database: 'postgres' }, `drop database if exists ${database} with (force)`);
      },
    };
  },
};

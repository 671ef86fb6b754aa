/**
 * MariaDB for the end-to-end scenario: user `app` with rights on database `appdb` and its table
 * `items`; the migration source is a scratch database on the machine's own server
 * (127.0.0.1:3306, root without password), dropped afterwards.
 */
import mysql from 'mysql2/promise';
import { randomBytes } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import type { Credentials } from '../../workflows/types';
import { item, sortItems, type Address, type AppClient, type EngineKit, type Item } from './e2e-engine-kit';

const APP_USER = 'app';
const APP_PASSWORD = `app-${randomBytes(8).toString('hex')}`;
const LOCAL_SERVER = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

async function query(config: mysql.ConnectionOptions, ...statements: string[]): Promise<mysql.RowDataPacket[]> {
  const connection = await mysql.createConnection({ connectTimeout: 10_000, ...config });
  try {
    let rows: mysql.RowDataPacket[] = [];
    for (const sql of statements) [rows] = await connection.query<mysql.RowDataPacket[]>(sql);
    return rows;
  } finally {
    await connection.end().catch(() => undefined);
  }
}

const admin = (address: Address, credentials: Credentials): mysql.ConnectionOptions => ({
  host: address.host,
  port: address.port,
  user: credentials.adminUser,
  password: credentials.adminPassword,
});

const asItems = (rows: mysql.RowDataPacket[]): Item[] =>
  sortItems(rows.map((row) => item(Number(row.id), String(row.value))));

/** The firewall closed the connection before the server's greeting. */
const refused = (err: unknown) =>
  ['PROTOCOL_CONNECTION_LOST', 'ECONNRESET'].includes((err as { code?: string }).code ?? '') ||
  /Connection lost|closed/i.test((err as Error).message);

export const mysqlKit: EngineKit = {
  engine: 'mysql',
  version: '10.11',

  async prepare(primary, credentials) {
    await query(
      admin(primary, credentials),
      'CREATE DATABASE appdb',
      'CREATE TABLE appdb.items (id INT PRIMARY KEY, value VARCHAR(100) NOT NULL) ENGINE=InnoDB',
      `CREATE USER '${APP_USER}'@'%' IDENTIFIED BY '${APP_PASSWORD}'`,
      `GRANT SELECT, INSERT, UPDATE, DELETE ON appdb.* TO '${APP_USER}'@'%'`,
    );
  },

  async connect(address, options = {}) {
    const connection = await mysql.createConnection({
      host: address.host,
      port: address.port,
      user: APP_USER,
      password: APP_PASSWORD,
      database: 'appdb',
      connectTimeout: 10_000,
      // mysql2 accepts a localAddress option but never uses it: bind the socket ourselves.
      ...(options.localAddress
        ? { stream: () => netConnect({ host: address.host, port: address.port, localAddress: options.localAddress }) }
        : {}),
    });
    // A connection the endpoint or a fence closes is reported by the next query; nothing to do here.
    connection.on('error', () => undefined);
    const app: AppClient = {
      async insert(id, value) {
        await connection.query('INSERT INTO items (id, value) VALUES (?, ?)', [id, value]);
      },
      async items() {
        return asItems((await connection.query<mysql.RowDataPacket[]>('SELECT id, value FROM items'))[0]);
      },
      async close() {
        await connection.end().catch(() => connection.destroy());
      },
    };
    return app;
  },

  async admits(address, localAddress) {
    let client: AppClient;
    try {
      client = await mysqlKit.connect(address, { localAddress });
    } catch (err) {
      if (refused(err)) return false;
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
    return asItems(await query(admin(node, credentials), 'SELECT id, value FROM appdb.items'));
  },

  async createSource(rows) {
    const database = `e2e_src_${randomBytes(4).toString('hex')}`;
    const values = Array.from({ length: rows }, (_, i) => `(${i + 1}, 'source ${i + 1}')`).join(', ');
    await query(
      LOCAL_SERVER,
      `CREATE DATABASE \`${database}\``,
      `CREATE TABLE \`${database}\`.migrated (id INT PRIMARY KEY, value VARCHAR(100) NOT NULL) ENGINE=InnoDB`,
      `INSERT INTO \`${database}\`.migrated VALUES ${values}`,
    );
    const select = `SELECT id, value FROM \`${database}\`.migrated`;
    return {
      source: { ...LOCAL_SERVER, database },
      items: asItems(await query(LOCAL_SERVER, select)),
      itemsOn: async (node, credentials) => asItems(await query(admin(node, credentials), select)),
      drop: async () => {
        await query(LOCAL_SERVER, `DROP DATABASE IF EXISTS \`${database}\``);
      },
    };
  },
};

/**
 * The cluster owner on real MariaDB nodes, attacked as a hostile tenant would with the credentials
 * the API hands out: what an application needs works (through the dbco procedures where MariaDB
 * has no privilege that would be safe); files, the product's accounts, `mysql.*`, the binlog,
 * replication and read-only mode are refused by the server with its own errors; a fence stops every
 * session of the owner and of the accounts it made, and a switchover under its writes loses nothing.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProvider, type TestProvider } from '../../test/local-provider';
import { startFenceWriter } from '../../test/fence-writer';
import { breaksWhileReading } from '../../test/unreadable-store';
import { LocalBackupStore } from '../local-backup-store';
import type { EngineDriver } from '../types';
import { createMysqlDriver } from './index';
import { adminQuery, provisionNode, testCredentials, type TestNode } from './test-support';

const CLUSTER = 'myown';
const credentials = { ...testCredentials(), ownerUser: 'owner', ownerPassword: `Own'er"\\${process.pid}` };
const OWNER = { user: credentials.ownerUser, password: credentials.ownerPassword };

let env: TestProvider;
let driver: EngineDriver;
let primary: TestNode;
let replica: TestNode;
let productFile: string;

type Who = { user: string; password: string };

/** A session through the node's firewall, as a tenant connects. */
function connect(node: TestNode, who: Who, database?: string): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: node.publicHost,
    port: node.publicPort,
    ...who,
    ...(database ? { database } : {}),
    multipleStatements: false,
  });
}

async function as<T>(node: TestNode, who: Who, work: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await connect(node, who);
  connection.on('error', () => undefined);
  try {
    return await work(connection);
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}

async function rows(connection: mysql.Connection, sql: string, values?: unknown[]): Promise<mysql.RowDataPacket[]> {
  const [result] = await connection.query<mysql.RowDataPacket[]>(sql, values);
  return result;
}

/** The statement fails on the server with one of `errnos` (MariaDB's own error numbers). */
async function refused(work: Promise<unknown>, ...errnos: number[]): Promise<string> {
  const error = await work.then(
    () => undefined,
    (err: unknown) => err as Error & { errno?: number },
  );
  expect(error, 'expected the server to refuse').toBeInstanceOf(Error);
  expect(errnos).toContain(error!.errno);
  return error!.message;
}

const ACCESS_DENIED = [1044, 1045, 1142, 1227, 1370];
/** Reading or writing a server file: no FILE privilege, or outside secure_file_priv (1290). */
const FILE_DENIED = [...ACCESS_DENIED, 1290];

beforeAll(async () => {
  env = await createTestProvider();
  driver = createMysqlDriver({ supervisor: env.provider.supervisor });
  [primary, replica] = await Promise.all([
    provisionNode(env, CLUSTER, 1, credentials),
    provisionNode(env, CLUSTER, 2, credentials),
  ]);
  await Promise.all([driver.initialise(primary), driver.initialise(replica)]);
  await Promise.all([driver.start(primary), driver.start(replica)]);
  await driver.configureAsPrimary(primary);
  await driver.configureAsReplica(replica, primary);
  productFile = path.join(env.baseDir, 'temporal.db');
  await writeFile(productFile, 'the product journal\n', { mode: 0o644 });
}, 180_000);

afterAll(async () => {
  await env?.cleanup();
}, 120_000);

describe('MariaDB cluster owner', () => {
  it('does what an application needs: its databases, tables, views, routines, accounts of its own', async () => {
    await as(primary, OWNER, async (owner) => {
      await owner.query("CALL dbco.create_database('shop')");
      await owner.query("CALL dbco.create_database('shop')"); // idempotent
      await owner.query('CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(32) NOT NULL)');
      await owner.query("INSERT INTO shop.orders VALUES (1, 'coffee'), (2, 'tea')");
      await owner.query('CREATE VIEW shop.teas AS SELECT * FROM shop.orders WHERE item = "tea"');
      await owner.query('CREATE PROCEDURE shop.count_orders() SELECT COUNT(*) AS n FROM shop.orders');
      await owner.query(
        'CREATE TRIGGER shop.upper BEFORE INSERT ON shop.orders FOR EACH ROW SET NEW.item = LOWER(NEW.item)',
      );
      await owner.query("CALL dbco.create_user('reader', 'reader-pw')");
      await owner.query("GRANT SELECT ON shop.* TO 'reader'@'%'");
      // A database it dropped can be made again with a plain CREATE DATABASE (its grant stays).
      await owner.query("CALL dbco.create_database('scratch_1')");
      await owner.query('DROP DATABASE scratch_1');
      await owner.query('CREATE DATABASE scratch_1');
      expect(await rows(owner, 'SELECT * FROM shop.teas')).toEqual([{ id: 2, item: 'tea' }]);
    });
    await as(primary, { user: 'reader', password: 'reader-pw' }, async (reader) => {
      expect(await rows(reader, 'SELECT item FROM shop.orders ORDER BY id')).toEqual([
        { item: 'coffee' },
        { item: 'tea' },
      ]);
      await refused(reader.query("INSERT INTO shop.orders VALUES (3, 'x')"), 1142);
    });
    await as(primary, OWNER, async (owner) => {
      await owner.query("CALL dbco.set_password('reader', 'reader-pw-2')");
      await owner.query("CALL dbco.create_user('temp', 'temp-pw')");
      await owner.query("CALL dbco.drop_user('temp')");
    });
    const grants = await adminQuery(primary, "SHOW GRANTS FOR 'owner'@'%'");
    const text = grants.map((row) => String(Object.values(row)[0])).join('\n');
    expect(text).toMatch(/GRANT USAGE ON \*\.\* TO `owner`@`%`/);
    expect(text).not.toMatch(/ON \*\.\* TO `owner`@`%`.*(SELECT|SUPER|FILE|ALL)/);
  });

  it("refuses files, the binlog, replication, read-only mode and the product's accounts, with MariaDB's errors", async () => {
    const admin = await mysql.createConnection({
      host: primary.host,
      port: primary.port,
      user: credentials.adminUser,
      password: credentials.adminPassword,
    });
    const [[{ id: adminThread }]] = await admin.query<mysql.RowDataPacket[]>('SELECT CONNECTION_ID() AS id');
    try {
      await as(primary, OWNER, async (owner) => {
        // Without FILE, LOAD_FILE() reads nothing; everything else is an access error.
        expect(await rows(owner, 'SELECT LOAD_FILE(?) AS f', [productFile])).toEqual([{ f: null }]);
        const attempts: Array<[string, number[]]> = [
          [`SELECT 1 INTO OUTFILE '${path.join(replica.dataDir, 'owned')}'`, FILE_DENIED],
          [`LOAD DATA INFILE '${productFile}' INTO TABLE shop.orders`, FILE_DENIED],
          ['SET GLOBAL read_only = 0', [1227]],
          ['SET SESSION sql_log_bin = 0', [1227]],
          ['SET SESSION gtid_domain_id = 7', [1227]],
          ['SET SESSION server_id = 99', [1227]],
          ["SET GLOBAL general_log_file = '/tmp/owned.log'", [1227]],
          ['SHUTDOWN', [1227]],
          ["CHANGE MASTER TO MASTER_HOST = '127.0.0.1'", [1227]],
          ['STOP SLAVE', [1227]],
          ['RESET MASTER', [1227]],
          ['PURGE BINARY LOGS BEFORE NOW()', [1227]],
          ['SHOW MASTER STATUS', [1227]],
          ['SHOW BINLOG EVENTS', [1227]],
          ['SELECT * FROM mysql.global_priv', ACCESS_DENIED],
          ['SELECT * FROM mysql.user', ACCESS_DENIED],
          [`SHOW GRANTS FOR '${credentials.adminUser}'@'%'`, ACCESS_DENIED],
          ['CREATE USER sneaky', ACCESS_DENIED],
          [`DROP USER '${credentials.replicationUser}'@'%'`, ACCESS_DENIED],
          [`ALTER USER '${credentials.adminUser}'@'%' IDENTIFIED BY 'x'`, ACCESS_DENIED],
          [`RENAME USER '${credentials.replicationUser}'@'%' TO 'gone'@'%'`, ACCESS_DENIED],
          ["GRANT ALL PRIVILEGES ON *.* TO 'owner'@'%'", ACCESS_DENIED],
          ["GRANT SELECT ON mysql.* TO 'reader'@'%'", ACCESS_DENIED],
          ["GRANT SUPER ON *.* TO 'reader'@'%'", ACCESS_DENIED],
          ['CREATE DATABASE not_via_dbco', ACCESS_DENIED],
          ['CREATE TABLE mysql.owned (x INT)', ACCESS_DENIED],
          ["INSTALL SONAME 'ha_sphinx'", ACCESS_DENIED],
          ["CREATE FUNCTION sys_exec RETURNS INT SONAME 'lib_mysqludf_sys.so'", ACCESS_DENIED],
          [`CREATE DEFINER = '${credentials.adminUser}'@'%' PROCEDURE shop.as_admin() SELECT 1`, ACCESS_DENIED],
          ['CREATE PROCEDURE dbco.mine() SELECT 1', ACCESS_DENIED],
          [`KILL ${adminThread}`, [1095]],
        ];
        for (const [statement, errnos] of attempts) {
          const message = await refused(owner.query(statement), ...errnos);
          expect(message).not.toContain(credentials.adminPassword);
        }
        // The procedures check what they are given.
        for (const call of [
          "CALL dbco.create_database('mysql')",
          "CALL dbco.create_database('dbco')",
          "CALL dbco.create_database('-dash')",
          "CALL dbco.create_database('wild%')",
          `CALL dbco.create_user('${credentials.adminUser}', 'x')`,
          "CALL dbco.create_user('root', 'x')",
          `CALL dbco.drop_user('${credentials.replicationUser}')`,
          `CALL dbco.set_password('${credentials.adminUser}', 'x')`,
          "CALL dbco.set_password('owner', 'x')",
        ]) {
          await refused(owner.query(call), 1644);
        }
        expect(await rows(owner, 'SELECT @@secure_file_priv AS dir')).toEqual([
          { dir: `${path.join(primary.dataDir, 'files')}/` },
        ]);
      });
      // '_' in a name is not a wildcard: the grant for a_b does not cover aXb.
      await adminQuery(primary, 'CREATE DATABASE aXb', 'CREATE TABLE aXb.secret (x INT)');
      await as(primary, OWNER, async (owner) => {
        await owner.query("CALL dbco.create_database('a_b')");
        await refused(owner.query('SELECT * FROM aXb.secret'), ...ACCESS_DENIED);
      });
      // An account the owner made holds no more than the owner: no procedures, no grant option.
      await as(primary, { user: 'reader', password: 'reader-pw-2' }, async (reader) => {
        await refused(reader.query("CALL dbco.create_user('x', 'y')"), ...ACCESS_DENIED);
        await refused(reader.query("GRANT SELECT ON shop.* TO 'reader'@'%'"), ...ACCESS_DENIED);
        await refused(reader.query('SELECT * FROM mysql.user'), ...ACCESS_DENIED);
      });
    } finally {
      await admin.end();
    }
  });

  it('changes the owner password without ending the sessions the owner has open', async () => {
    const open = await connect(primary, OWNER, 'shop');
    const rotated = { ...credentials, ownerPassword: `rotated-${process.pid}` };
    await driver.ensureOwner({ ...primary, credentials: rotated });
    await driver.ensureOwner({ ...replica, credentials: rotated });
    expect(await rows(open, 'SELECT COUNT(*) AS n FROM orders')).toEqual([{ n: 2 }]);
    await open.end();
    await refused(connect(primary, OWNER), 1045);
    await as(primary, { user: OWNER.user, password: rotated.ownerPassword }, async (owner) => {
      expect(await rows(owner, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
    });
    await driver.ensureOwner(primary);
    await driver.ensureOwner(primary);
    await driver.ensureOwner(replica);
  });

  it('is on the replica (put there when it was configured), read-only there', async () => {
    await driver.waitForPosition(replica, (await driver.health(primary)).position!, 30_000);
    await as(replica, OWNER, async (owner) => {
      expect(await rows(owner, 'SELECT COUNT(*) AS n FROM shop.orders')).toEqual([{ n: 2 }]);
      await refused(owner.query("INSERT INTO shop.orders VALUES (9, 'x')"), 1290);
      await refused(owner.query('SET GLOBAL read_only = 0'), 1227);
    });
  });

  it('cannot write past a fence: open transactions roll back, read-only cannot be lifted; a switchover under its writes loses nothing', async () => {
    await as(primary, OWNER, async (owner) => {
      await owner.query('CREATE TABLE shop.writes (id INT PRIMARY KEY)');
      await owner.query("GRANT INSERT ON shop.writes TO 'reader'@'%'");
    });
    // The owner writes straight to the old primary's node address throughout.
    const writer = startFenceWriter({
      async open() {
        const connection = await connect(primary, OWNER, 'shop');
        connection.on('error', () => undefined);
        return connection;
      },
      write: (connection, id) => connection.query('INSERT INTO writes VALUES (?)', [id]),
      close: (connection) => connection.destroy(),
    });
    // An account the owner made holds a transaction open across the fence.
    const open = await connect(primary, { user: 'reader', password: 'reader-pw-2' }, 'shop');
    open.on('error', () => undefined);
    await open.query('BEGIN');
    await open.query('INSERT INTO writes VALUES (-100)');
    await writer.waitFor(50);

    const position = await driver.fence(primary);
    writer.fenced();
    // The open transaction was rolled back with its connection; a new session cannot lift read-only.
    await expect(open.query('COMMIT')).rejects.toThrow();
    open.destroy();
    await as(primary, OWNER, async (owner) => {
      await refused(owner.query('SET GLOBAL read_only = OFF'), 1227);
      await refused(owner.query('INSERT INTO shop.writes VALUES (-200)'), 1290);
    });

    await driver.waitForPosition(replica, position, 30_000);
    await driver.promote(replica);
    expect(await writer.stop()).toBe(0);
    expect(writer.acknowledged.length).toBeGreaterThanOrEqual(50);
    const onNewPrimary = new Set(
      (await adminQuery(replica, 'SELECT id FROM shop.writes')).map((row) => Number(row.id)),
    );
    expect(writer.acknowledged.filter((id) => !onNewPrimary.has(id))).toEqual([]);
    expect(onNewPrimary.has(-100)).toBe(false);
    await as(replica, OWNER, (owner) => owner.query('INSERT INTO shop.writes VALUES (-1)'));

    // An aborted promotion's way back: configuring the old primary as primary again restores the owner.
    await driver.configureAsPrimary(primary);
    await as(primary, OWNER, (owner) => owner.query('INSERT INTO shop.writes VALUES (-2)'));
  });

  it('keeps the node data when the backup breaks off while being read during a restore', async () => {
    const store = new LocalBackupStore(path.join(env.baseDir, 'backups'));
    const backup = await driver.backup(replica, store, 'myown/breaks');
    await expect(driver.restore(replica, breaksWhileReading(store), backup)).rejects.toThrow();
    // MariaDB's restore stops the server before unpacking; its data is untouched and it starts again.
    if (!(await driver.health(replica)).up) await driver.start(replica);
    await as(replica, OWNER, async (owner) => {
      expect(await rows(owner, 'SELECT COUNT(*) AS n FROM shop.orders')).toEqual([{ n: 2 }]);
    });
  });

  it('lets the owner read no file of another node, no backup and none of the product through the server', async () => {
    const store = new LocalBackupStore(path.join(env.baseDir, 'backups'));
    const backup = await driver.backup(replica, store, 'myown/attack');
    await as(replica, OWNER, async (owner) => {
      for (const file of [backup.location, path.join(primary.dataDir, 'my.cnf'), productFile]) {
        expect(await rows(owner, 'SELECT LOAD_FILE(?) AS f', [file])).toEqual([{ f: null }]);
        await refused(owner.query(`LOAD DATA INFILE '${file}' INTO TABLE shop.writes`), ...FILE_DENIED);
      }
    });
  });
});

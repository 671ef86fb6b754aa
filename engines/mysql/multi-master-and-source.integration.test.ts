/**
 * Two primaries replicating from each other, and migration from the machine's own MariaDB (127.0.0.1:3306,
 * root without password) into one of them: a test database is created there and dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProvider, type TestProvider } from '../../test/local-provider';
import {
  BadCredentialsError,
  InsufficientDiskError,
  SourceUnreachableError,
  UnsupportedOperationError,
} from '../errors';
import type { CopyProgress, EngineDriver, ExternalSource } from '../types';
import { createMysqlDriver } from './index';
import { adminQuery, provisionNode, recordingLogger, testCredentials, type TestNode } from './test-support';

const credentials = testCredentials();
const { logger, lines } = recordingLogger();
const SOURCE_DB = `mysql_copy_${randomBytes(4).toString('hex')}`;
const MYISAM_DB = `${SOURCE_DB}_myisam`;
const source: ExternalSource = { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: SOURCE_DB };

let env: TestProvider;
let driver: EngineDriver;
let a: TestNode;
let b: TestNode;
let external: mysql.Connection;

const TABLES = ['customers', 'events', 'loose'];

async function sourceRows(table: string): Promise<unknown[]> {
  const [rows] = await external.query(`SELECT * FROM \`${SOURCE_DB}\`.\`${table}\` ORDER BY 1, 2`);
  return rows as unknown[];
}

async function nodeRows(node: TestNode, table: string): Promise<unknown[]> {
  return adminQuery(node, `SELECT * FROM \`${SOURCE_DB}\`.\`${table}\` ORDER BY 1, 2`);
}

async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  env = await createTestProvider();
  driver = createMysqlDriver({ supervisor: env.provider.supervisor, logger });
  [a, b] = await Promise.all([1, 2].map((number) => provisionNode(env, 'mymm', number, credentials)));
  await Promise.all([a, b].map((node) => driver.initialise(node)));
  await Promise.all([a, b].map((node) => driver.start(node)));

  external = await mysql.createConnection({ host: source.host, port: source.port, user: source.user });
  await external.query(`CREATE DATABASE \`${SOURCE_DB}\``);
  await external.query(`USE \`${SOURCE_DB}\``);
  await external.query(
    'CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(100) CHARACTER SET utf8mb4, balance DECIMAL(12,2), born DATE, avatar BLOB, prefs JSON)',
  );
  await external.query(
    'CREATE TABLE events (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer INT, at DATETIME(6), kind ENUM("a","b"))',
  );
  await external.query('CREATE TABLE loose (note TEXT, n INT)');
  await external.query(
    'CREATE SQL SECURITY INVOKER VIEW big_spenders AS SELECT id, name FROM customers WHERE balance > 100',
  );
  // Objects with the source's DEFINER account: the copy gives them to the cluster's owner.
  await external.query(
    "CREATE TRIGGER events_kind BEFORE INSERT ON events FOR EACH ROW SET NEW.kind = COALESCE(NEW.kind, 'a')",
  );
  await external.query('CREATE PROCEDURE customer_count() SELECT COUNT(*) AS n FROM customers');
  const customers = Array.from({ length: 300 }, (_, index) => [
    index + 1,
    `Kundø ${index} «${'x'.repeat(index % 17)}» 🚀`,
    (index * 13.37).toFixed(2),
    `19${50 + (index % 50)}-0${1 + (index % 9)}-1${index % 10}`,
    Buffer.from([index % 256, 0, 255, 10, 13, 39, 92]),
    JSON.stringify({ index, tags: ['a', "b'c"] }),
  ]);
  await external.query('INSERT INTO customers VALUES ?', [customers]);
  const events = Array.from({ length: 1000 }, (_, index) => [
    1 + (index % 300),
    `2024-01-01 00:00:${String(index % 60).padStart(2, '0')}.${String(index).padStart(6, '0')}`,
    index % 2 ? 'a' : 'b',
  ]);
  await external.query('INSERT INTO events (customer, at, kind) VALUES ?', [events]);
  await external.query('INSERT INTO loose VALUES ?', [
    Array.from({ length: 50 }, (_, index) => [`note ${index}\n\t"q"`, index]),
  ]);
  await external.query(`CREATE DATABASE \`${MYISAM_DB}\``);
  await external.query(`CREATE TABLE \`${MYISAM_DB}\`.legacy (id INT PRIMARY KEY) ENGINE=MyISAM`);
});

afterAll(async () => {
  try {
    if (external !== undefined) {
      await external.query(`DROP DATABASE IF EXISTS \`${SOURCE_DB}\``);
      await external.query(`DROP DATABASE IF EXISTS \`${MYISAM_DB}\``);
      await external.end();
    }
  } finally {
    await env?.cleanup();
  }
});

describe('mysql driver: multi-master', () => {
  it('keeps two primaries in step with interleaved AUTO_INCREMENT keys', async () => {
    await driver.configureAsPrimary(a);
    await driver.configureAsPrimary(b);
    await driver.configureMultiMaster!(a, b);
    await driver.configureMultiMaster!(a, b);
    await adminQuery(
      a,
      'CREATE DATABASE mm',
      'CREATE TABLE mm.t (id INT AUTO_INCREMENT PRIMARY KEY, side CHAR(1), n INT)',
    );
    await driver.waitForPosition(b, (await driver.health(a)).position ?? '', 30_000);

    const write = async (node: TestNode, side: string) => {
      const connection = await mysql.createConnection({
        host: node.host,
        port: node.port,
        user: credentials.adminUser,
        password: credentials.adminPassword,
      });
      for (let n = 0; n < 150; n++) await connection.query('INSERT INTO mm.t (side, n) VALUES (?, ?)', [side, n]);
      await connection.end();
    };
    await Promise.all([write(a, 'a'), write(b, 'b')]);
    await driver.waitForPosition(b, (await driver.health(a)).position ?? '', 30_000);
    await driver.waitForPosition(a, (await driver.health(b)).position ?? '', 30_000);

    const rowsA = await adminQuery(a, 'SELECT id, side, n FROM mm.t ORDER BY id');
    const rowsB = await adminQuery(b, 'SELECT id, side, n FROM mm.t ORDER BY id');
    expect(rowsA).toHaveLength(300);
    expect(rowsB).toEqual(rowsA);
    expect(rowsA.every((row) => (row.side === 'a' ? row.id % 2 === 1 : row.id % 2 === 0))).toBe(true);
    const [healthA, healthB] = await Promise.all([driver.health(a), driver.health(b)]);
    expect(healthA).toMatchObject({ role: 'primary', readOnly: false, replication: { state: 'streaming' } });
    expect(healthB).toMatchObject({ role: 'primary', readOnly: false, replication: { state: 'streaming' } });
  });

  it('resumes both directions after a restart, even once the peer has purged old binlogs', async () => {
    await adminQuery(a, 'FLUSH BINARY LOGS', 'PURGE BINARY LOGS BEFORE NOW() + INTERVAL 1 SECOND');
    await adminQuery(b, 'FLUSH BINARY LOGS', 'PURGE BINARY LOGS BEFORE NOW() + INTERVAL 1 SECOND');
    await driver.stop(b);
    await adminQuery(a, "INSERT INTO mm.t (side, n) VALUES ('a', 1000)");
    await driver.start(b);
    await adminQuery(b, "INSERT INTO mm.t (side, n) VALUES ('b', 1000)");
    await driver.waitForPosition(b, (await driver.health(a)).position ?? '', 30_000);
    await driver.waitForPosition(a, (await driver.health(b)).position ?? '', 30_000);
    const rowsA = await adminQuery(a, 'SELECT id, side, n FROM mm.t ORDER BY id');
    expect(rowsA).toHaveLength(302);
    expect(await adminQuery(b, 'SELECT id, side, n FROM mm.t ORDER BY id')).toEqual(rowsA);
    const [healthA, healthB] = await Promise.all([driver.health(a), driver.health(b)]);
    expect(healthA.replication).toMatchObject({ state: 'streaming', lagBytes: 0 });
    expect(healthB.replication).toMatchObject({ state: 'streaming', lagBytes: 0 });
  });
});

describe('mysql driver: migration from an external source', () => {
  it('reports version, size, warnings and blockers', async () => {
    const report = await driver.checkSource(source);
    expect(report.version).toMatch(/MariaDB/);
    expect(report.sizeBytes).toBeGreaterThan(0);
    expect(report.blockers).toEqual([]);
    expect(report.warnings.join(' ')).toContain(`${SOURCE_DB}.loose`);
    expect(report.warnings.join(' ')).toMatch(/DEFINER/);

    const myisam = await driver.checkSource({ ...source, database: MYISAM_DB });
    expect(myisam.blockers.join(' ')).toMatch(/legacy \(MyISAM\).*InnoDB/);
    const missing = await driver.checkSource({ ...source, database: `${SOURCE_DB}_absent` });
    expect(missing.blockers.join(' ')).toMatch(/does not exist/);
    const system = await driver.checkSource({ ...source, database: 'mysql' });
    expect(system.blockers.join(' ')).toMatch(/system database/);
    await expect(driver.copyFrom({ ...source, database: MYISAM_DB }, a)).rejects.toBeInstanceOf(
      UnsupportedOperationError,
    );
  });

  it('refuses an unreachable source, wrong credentials and a too small disk, naming no password', async () => {
    const port = await closedPort();
    const closed = await driver.checkSource({ ...source, port }, 2_000).catch((error: Error) => error);
    expect(closed).toBeInstanceOf(SourceUnreachableError);
    expect((closed as Error).message).toContain(`127.0.0.1:${port}`);

    // A blackholed address: the bound, not the network, ends the attempt.
    const started = Date.now();
    const silent = await driver.checkSource({ ...source, host: '10.255.255.1' }, 1_000).catch((error: Error) => error);
    expect(silent).toBeInstanceOf(SourceUnreachableError);
    expect(Date.now() - started).toBeLessThan(5_000);

    const wrongPassword = `Wr0ng-${randomBytes(6).toString('hex')}`;
    const refused = await driver.checkSource({ ...source, password: wrongPassword }).catch((error: Error) => error);
    expect(refused).toBeInstanceOf(BadCredentialsError);
    expect((refused as Error).message).toContain('"root"');

    const tiny = createMysqlDriver({ supervisor: env.provider.supervisor, logger, freeDiskBytes: async () => 1_000 });
    const full = await tiny.copyFrom(source, a).catch((error: Error) => error);
    expect(full).toBeInstanceOf(InsufficientDiskError);
    expect(await adminQuery(a, `SHOW DATABASES LIKE '${SOURCE_DB}'`)).toEqual([]);

    for (const text of [(closed as Error).message, (refused as Error).message, (full as Error).message, ...lines]) {
      expect(text).not.toContain(wrongPassword);
      expect(text).not.toContain(credentials.adminPassword);
    }
  });

  it('copies the source row for row as the owner, reporting progress, and the copy replicates', async () => {
    await driver.ensureOwner(a);
    const progress: CopyProgress[] = [];
    const report = await driver.copyFrom(source, a, (step) => progress.push(step));
    expect(report.unit).toBe('bytes');
    expect(report.copied).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual({ done: report.copied, unit: 'bytes' });
    for (const table of TABLES) expect(await nodeRows(a, table)).toEqual(await sourceRows(table));
    expect(await adminQuery(a, `SELECT COUNT(*) AS n FROM \`${SOURCE_DB}\`.big_spenders`)).toEqual(
      (await external.query(`SELECT COUNT(*) AS n FROM \`${SOURCE_DB}\`.big_spenders`))[0],
    );
    await driver.waitForPosition(b, (await driver.health(a)).position ?? '', 30_000);
    for (const table of TABLES) expect(await nodeRows(b, table)).toEqual(await sourceRows(table));
    // Loaded as the owner: its definitions name the owner, and the owner uses them and its data.
    const definers = await adminQuery(
      a,
      `SELECT DEFINER AS d FROM information_schema.VIEWS WHERE TABLE_SCHEMA = '${SOURCE_DB}'
       UNION ALL SELECT DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = '${SOURCE_DB}'
       UNION ALL SELECT DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '${SOURCE_DB}'`,
    );
    expect(definers.map((row) => row.d)).toEqual(['owner@%', 'owner@%', 'owner@%']);
    const owner = await mysql.createConnection({
      host: a.host,
      port: a.port,
      user: credentials.ownerUser,
      password: credentials.ownerPassword,
      database: SOURCE_DB,
    });
    try {
      const [[count]] = await owner.query<mysql.RowDataPacket[][]>('CALL customer_count()');
      expect(count).toEqual([{ n: 300 }]);
      await owner.query('INSERT INTO events (customer, at, kind) VALUES (1, NOW(), NULL)');
    } finally {
      await owner.end();
    }
  });

  it('refuses database names that would read as a tool option or escape the owner', async () => {
    for (const database of ['-x', '--all-databases', 'dbco']) {
      const report = await driver.checkSource({ ...source, database });
      expect(report.blockers.join(' ')).toMatch(/cannot be migrated|never migrated/);
      await expect(driver.copyFrom({ ...source, database }, a)).rejects.toThrow(/cannot copy/);
    }
  });
});

/**
 * The PostgreSQL driver against real servers on the local VM provider: one shared three-node
 * cluster (pgt1 primary, pgt2 and pgt3 replicas) walked through replication, lag, fencing, a
 * switchover under write load, erase-and-restore, restore of the primary, and copying from an
 * external source (a scratch database on the machine's own PostgreSQL, dropped afterwards).
 */
import { copyFile, open, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProvider, provisionTestNode, type TestNode, type TestProvider } from '../../test/local-provider';
import {
  BackupChecksumError,
  BadCredentialsError,
  EngineUnavailableError,
  InsufficientDiskError,
  ReplicationTimeoutError,
  SourceUnreachableError,
} from '../errors';
import { LocalBackupStore } from '../local-backup-store';
import type { BackupArtifact, EngineCredentials, EngineNode, ExternalSource } from '../types';
import { createPostgresDriver, type PostgresDriver } from './index';
import { findInstallations } from './installation';
import { InvalidLsnError } from './lsn';

const CLUSTER = 'pgt';
// Quotes, a colon and a backslash exercise every place the password is written (conf, passfile, SCRAM).
const ADMIN_PASSWORD = `adm'in:pa\\ss-${process.pid}`;
const REPLICATION_PASSWORD = `re"pl:pa'ss-${process.pid}`;
const APP = { user: 'app', password: 'app-secret-pw' };
const WRONG_PASSWORD = 'definitely-wrong-pw-7731';
const SOURCE_DB = `pgdriver_src_${process.pid}`;

const credentials: EngineCredentials = {
  adminUser: 'orchestrator',
  adminPassword: ADMIN_PASSWORD,
  replicationUser: 'replicator',
  replicationPassword: REPLICATION_PASSWORD,
  ownerUser: 'owner',
  ownerPassword: `own'er:pa\\ss-${process.pid}`,
};

let env: TestProvider;
let driver: PostgresDriver;
let store: LocalBackupStore;
const logLines: string[] = [];
const errorMessages: string[] = [];
const nodes: Record<string, TestNode> = {};
let sourceCreated = false;

async function makeNode(number: number) {
  const node = await provisionTestNode(env, {
    engine: 'postgresql',
    version: '15',
    cluster: CLUSTER,
    number,
    credentials,
    diskGb: 2,
  });
  nodes[node.name] = node;
  return node;
}

async function sql<T extends object = Record<string, unknown>>(
  target: { host: string; port: number },
  text: string,
  params: unknown[] = [],
  who: { user: string; password: string } = { user: credentials.adminUser, password: ADMIN_PASSWORD },
  database = 'postgres',
): Promise<T[]> {
  const client = new Client({ host: target.host, port: target.port, database, ...who, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Runs `work` and records the error message, so the suite can check that none carries a password. */
async function expectFailure(work: Promise<unknown>): Promise<Error> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(err, 'expected the call to fail').toBeInstanceOf(Error);
  errorMessages.push(err!.message);
  return err!;
}

async function ids(node: EngineNode, table = 'items'): Promise<number[]> {
  const rows = await sql<{ id: number }>(node, `select id from ${table} order by id`, [], APP, 'app');
  return rows.map((row) => row.id);
}

async function syncedWith(replica: EngineNode, primary: EngineNode) {
  const [{ lsn }] = await sql<{ lsn: string }>(primary, 'select pg_current_wal_lsn()::text as lsn');
  await driver.waitForPosition(replica, lsn!, 30_000);
}

beforeAll(async () => {
  env = await createTestProvider();
  store = new LocalBackupStore(path.join(env.baseDir, 'backups'));
  driver = createPostgresDriver({
    supervisor: env.provider.supervisor,
    logger: { info: (m) => logLines.push(m), warn: (m) => logLines.push(m) },
  });
  const [primary, ...replicas] = await Promise.all([makeNode(1), makeNode(2), makeNode(3)]);
  await Promise.all([primary, ...replicas].map((node) => driver.initialise(node)));
  await driver.start(primary!);
  await driver.configureAsPrimary(primary!);
  await sql(primary!, `create role ${APP.user} login password '${APP.password}'`);
  await sql(primary!, `create database app owner ${APP.user}`);
  await sql(primary!, 'create table items (id int primary key, note text not null)', [], APP, 'app');
  await sql(primary!, `insert into items select g, 'seed ' || g from generate_series(1, 100) g`, [], APP, 'app');
  for (const replica of replicas) await driver.configureAsReplica(replica, primary!);
}, 180_000);

afterAll(async () => {
  // PG_DRIVER_TEST_LOGS=<dir> keeps each node's server log for diagnosis.
  const keep = process.env.PG_DRIVER_TEST_LOGS;
  if (keep) {
    await writeFile(path.join(keep, 'driver.log'), logLines.join('\n'));
    for (const node of Object.values(nodes)) {
      await copyFile(path.join(node.dataDir, 'postgres.log'), path.join(keep, `${node.name}.log`)).catch(
        () => undefined,
      );
    }
  }
  try {
    if (sourceCreated)
      await sql({ host: '127.0.0.1', port: 5432 }, `drop database if exists ${SOURCE_DB}`, [], {
        user: 'postgres',
        password: '',
      });
  } finally {
    await env?.cleanup();
  }
}, 120_000);

describe('PostgreSQL driver on local nodes', () => {
  it('replicates writes on the primary to both replicas, and repeated setup calls change nothing', async () => {
    const { pgt1, pgt2, pgt3 } = nodes;
    await sql(pgt1!, `insert into items values (101, 'after replicas joined')`, [], APP, 'app');
    for (const replica of [pgt2!, pgt3!]) {
      await syncedWith(replica, pgt1!);
      expect(await ids(replica)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    }
    // Idempotency: the same calls again are no-ops (the replica keeps its server process).
    const started = await sql<{ t: string }>(pgt2!, 'select pg_postmaster_start_time()::text as t');
    await driver.initialise(pgt2!);
    await driver.configureAsReplica(pgt2!, pgt1!);
    await driver.configureAsPrimary(pgt1!);
    await driver.promote(pgt1!);
    expect(await sql<{ t: string }>(pgt2!, 'select pg_postmaster_start_time()::text as t')).toEqual(started);
    const health = await driver.health(pgt2!);
    expect(health).toMatchObject({
      up: true,
      role: 'replica',
      readOnly: true,
      version: expect.stringMatching(/^15\./),
    });
    expect(health.replication).toMatchObject({
      primary: `${pgt1!.host}:${pgt1!.port}`,
      state: 'streaming',
      lagBytes: 0,
      lagSeconds: 0,
    });
    expect(await driver.health(pgt1!)).toMatchObject({ up: true, role: 'primary', readOnly: false });
  });

  it('reports lag for a stopped replica that grows while the primary takes writes', async () => {
    const { pgt1, pgt3 } = nodes;
    await driver.stop(pgt3!);
    await driver.stop(pgt3!);
    await sql(pgt1!, `insert into items select g, repeat('x', 200) from generate_series(1000, 1999) g`, [], APP, 'app');
    const first = await driver.health(pgt3!);
    expect(first).toMatchObject({ up: false, role: 'unknown' });
    expect(first.error).toBeTruthy();
    expect(first.replication?.lagBytes).toBeGreaterThan(0);
    await sql(pgt1!, `insert into items select g, repeat('y', 200) from generate_series(2000, 2999) g`, [], APP, 'app');
    const second = await driver.health(pgt3!);
    expect(second.replication!.lagBytes!).toBeGreaterThan(first.replication!.lagBytes!);

    await driver.start(pgt3!);
    await syncedWith(pgt3!, pgt1!);
    expect((await driver.health(pgt3!)).replication).toMatchObject({ lagBytes: 0, lagSeconds: 0 });
  });

  it('reports lag in bytes and seconds for a replica whose replay is paused, and times out waiting for it', async () => {
    const { pgt1, pgt2 } = nodes;
    await sql(pgt2!, 'select pg_wal_replay_pause()');
    try {
      await sql(pgt1!, `insert into items select g, 'while paused' from generate_series(3000, 3099) g`, [], APP, 'app');
      const [{ lsn }] = await sql<{ lsn: string }>(pgt1!, 'select pg_current_wal_lsn()::text as lsn');
      const paused = await driver.health(pgt2!);
      expect(paused).toMatchObject({ up: true, role: 'replica' });
      expect(paused.replication).toMatchObject({ state: 'stopped' });
      expect(paused.replication!.lagBytes!).toBeGreaterThan(0);
      expect(paused.replication!.lagSeconds!).toBeGreaterThan(0);
      await sql(pgt1!, `insert into items select g, 'still paused' from generate_series(3100, 3199) g`, [], APP, 'app');
      expect((await driver.health(pgt2!)).replication!.lagBytes!).toBeGreaterThan(paused.replication!.lagBytes!);
      const timeout = await expectFailure(driver.waitForPosition(pgt2!, lsn!, 300));
      expect(timeout).toBeInstanceOf(ReplicationTimeoutError);
      expect(timeout.message).toMatch(new RegExp(`node pgt2 reached [0-9A-F]+/[0-9A-F]+ but ${lsn} was wanted`));
    } finally {
      await sql(pgt2!, 'select pg_wal_replay_resume()');
    }
    await syncedWith(pgt2!, pgt1!);
    expect((await driver.health(pgt2!)).replication).toMatchObject({ state: 'streaming', lagBytes: 0, lagSeconds: 0 });
  });

  it('refuses to restore a corrupt backup, and erase + restore + re-point brings a replica back in sync', async () => {
    const { pgt1, pgt3 } = nodes;
    const backup = await driver.backup(pgt1!, store, 'pgt/erase-restore');
    expect(backup.sizeBytes).toBeGreaterThan(0);
    expect(backup.sha256).toMatch(/^[0-9a-f]{64}$/);

    const corruptKey = 'pgt/corrupt';
    await copyFile(store.pathOf(backup.key), store.pathOf(corruptKey));
    const handle = await open(store.pathOf(corruptKey), 'r+');
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, 4096);
    await handle.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, 4096);
    await handle.close();
    const corrupt: BackupArtifact = { ...backup, key: corruptKey, location: store.pathOf(corruptKey) };
    expect(await expectFailure(driver.restore(pgt3!, store, corrupt))).toBeInstanceOf(BackupChecksumError);
    expect((await driver.health(pgt3!)).up).toBe(true); // untouched

    await driver.erase(pgt3!);
    await driver.erase(pgt3!);
    expect((await driver.health(pgt3!)).up).toBe(false);
    await driver.restore(pgt3!, store, backup);
    await driver.configureAsReplica(pgt3!, pgt1!);
    await sql(pgt1!, `insert into items values (102, 'after the resync')`, [], APP, 'app');
    await syncedWith(pgt3!, pgt1!);
    expect(await ids(pgt3!)).toEqual(await ids(pgt1!));
  });

  it('fences the primary against ordinary clients and switches over under write load without losing an acknowledged write', async () => {
    const { pgt1, pgt2, pgt3 } = nodes;
    const endpoint = await env.provider.setEndpoint(CLUSTER, { host: pgt1!.publicHost, port: pgt1!.publicPort });
    const acknowledged: number[] = [];
    let failures = 0;
    let running = true;
    const writer = (async () => {
      let next = 10_000;
      let client: Client | undefined;
      while (running) {
        try {
          if (!client) {
            client = new Client({ ...endpoint, database: 'app', ...APP, connectionTimeoutMillis: 2000 });
            client.on('error', () => undefined);
            await client.connect();
          }
          const id = next++;
          await client.query('insert into items values ($1, $2)', [id, 'switchover']);
          acknowledged.push(id);
        } catch {
          failures++;
          await client?.end().catch(() => undefined);
          client = undefined;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      await client?.end().catch(() => undefined);
    })();
    while (acknowledged.length < 50) await new Promise((resolve) => setTimeout(resolve, 20));

    const fenceStarted = Date.now();
    const position = await driver.fence(pgt1!);
    const ackedAtFence = acknowledged.length;
    expect(await driver.fence(pgt1!)).toBeTruthy(); // idempotent
    // An ordinary client can neither connect nor, therefore, write; an old session was ended.
    const refused = await expectFailure(sql(pgt1!, `insert into items values (-1, 'fenced')`, [], APP, 'app'));
    expect(refused.message).toMatch(/pg_hba\.conf|read-only/);
    expect(await driver.health(pgt1!)).toMatchObject({ up: true, role: 'primary', readOnly: true });

    await driver.waitForPosition(pgt2!, position, 30_000);
    await driver.promote(pgt2!);
    const promotedAfterMs = Date.now() - fenceStarted;
    await driver.promote(pgt2!);
    await driver.configureAsReplica(pgt3!, pgt2!);
    await driver.configureAsReplica(pgt1!, pgt2!);
    await env.provider.setEndpoint(CLUSTER, { host: pgt2!.publicHost, port: pgt2!.publicPort });
    const endpointMovedAfterMs = Date.now() - fenceStarted;
    const ackedAtSwitch = acknowledged.length;
    while (acknowledged.length < ackedAtSwitch + 50) await new Promise((resolve) => setTimeout(resolve, 20));
    running = false;
    await writer;

    expect(ackedAtFence).toBeGreaterThanOrEqual(50);
    const onNewPrimary = new Set(await ids(pgt2!));
    expect(acknowledged.filter((id) => !onNewPrimary.has(id))).toEqual([]);
    for (const replica of [pgt1!, pgt3!]) {
      await syncedWith(replica, pgt2!);
      expect(await ids(replica)).toEqual(await ids(pgt2!));
      expect((await driver.health(replica)).replication).toMatchObject({
        primary: `${pgt2!.host}:${pgt2!.port}`,
        state: 'streaming',
      });
    }
    expect(await driver.health(pgt2!)).toMatchObject({ up: true, role: 'primary', readOnly: false });
    // The new primary holds one slot per replica; the old primary kept none.
    const slots = await sql<{ slot_name: string }>(pgt2!, 'select slot_name from pg_replication_slots order by 1');
    expect(slots.map((s) => s.slot_name)).toEqual(['replica_pgt1', 'replica_pgt3']);
    expect(await sql(pgt1!, 'select 1 from pg_replication_slots')).toEqual([]);
    console.log(
      `switchover: fence→promoted ${promotedAfterMs} ms, fence→endpoint moved ${endpointMovedAfterMs} ms ` +
        `(both replicas re-pointed first); ${acknowledged.length} acknowledged writes, ${failures} failed attempts`,
    );
  });

  it('restores the primary to exactly the backed-up data', async () => {
    const primary = nodes.pgt2!;
    const before = await sql(primary, 'select * from items order by id', [], APP, 'app');
    const backup = await driver.backup(primary, store, 'pgt/primary');
    expect(backup.position).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    await sql(primary, `insert into items values (999999, 'after the backup')`, [], APP, 'app');
    await sql(primary, `update items set note = 'changed' where id = 1`, [], APP, 'app');
    await driver.restore(primary, store, backup);
    expect(await sql(primary, 'select * from items order by id', [], APP, 'app')).toEqual(before);
    expect(await driver.health(primary)).toMatchObject({ up: true, role: 'primary', readOnly: false });
    // A replica of the old history is seeded afresh rather than rewound onto the restored one.
    await driver.configureAsReplica(nodes.pgt3!, primary);
    await syncedWith(nodes.pgt3!, primary);
    expect(await sql(nodes.pgt3!, 'select * from items order by id', [], APP, 'app')).toEqual(before);
  });

  it('checks and copies an external database exactly', async () => {
    const local = { host: '127.0.0.1', port: 5432 };
    const superuser = { user: 'postgres', password: '' };
    await sql(local, `create database ${SOURCE_DB}`, [], superuser);
    sourceCreated = true;
    await sql(
      local,
      `create table orders (id bigserial primary key, customer text not null, total numeric(10,2), data jsonb, blob bytea,
                            placed timestamptz default now());
       create index on orders (customer);
       insert into orders (customer, total, data, blob)
         select 'c' || (g % 17), g * 1.25, jsonb_build_object('n', g, 'tags', array['a', 'b']), decode(md5(g::text), 'hex')
           from generate_series(1, 5000) g;
       create view big_orders as select * from orders where total > 100;`,
      [],
      superuser,
      SOURCE_DB,
    );
    const source: ExternalSource = {
      host: local.host,
      port: local.port,
      user: 'postgres',
      password: 'unused-trust',
      database: SOURCE_DB,
    };
    const report = await driver.checkSource(source);
    expect(report.version).toMatch(/^15\./);
    expect(report.sizeBytes).toBeGreaterThan(1_000_000);
    expect(report.blockers).toEqual([]);

    const primary = nodes.pgt2!;
    const progress: number[] = [];
    const copied = await driver.copyFrom(source, primary, (p) => progress.push(p.done));
    expect(copied.unit).toBe('bytes');
    expect(copied.copied).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(copied.copied);
    const query = 'select * from orders order by id';
    const target = await sql(primary, query, [], undefined, SOURCE_DB);
    expect(target).toHaveLength(5000);
    expect(target).toEqual(await sql(local, query, [], superuser, SOURCE_DB));
    expect(await sql(primary, 'select count(*)::int as n from big_orders', [], undefined, SOURCE_DB)).toEqual(
      await sql(local, 'select count(*)::int as n from big_orders', [], superuser, SOURCE_DB),
    );
    // Copying again replaces rather than duplicates.
    await driver.copyFrom(source, primary);
    expect(await sql(primary, 'select count(*)::int as n from orders', [], undefined, SOURCE_DB)).toEqual([
      { n: 5000 },
    ]);
  });

  it('rejects bad input with named errors and never shows a password', async () => {
    const primary = nodes.pgt2!;
    // A closed loopback port: refused at once.
    const closedPort = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const closed = await expectFailure(
      driver.checkSource({ host: '127.0.0.1', port: closedPort, user: 'x', password: WRONG_PASSWORD }),
    );
    expect(closed).toBeInstanceOf(SourceUnreachableError);
    expect(closed.message).toContain(`127.0.0.1:${closedPort}`);

    // A port that accepts but never answers: the check gives up within its bound.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const started = Date.now();
      const hung = await expectFailure(
        driver.checkSource({ host: '127.0.0.1', port, user: 'x', password: WRONG_PASSWORD }, 500),
      );
      expect(hung).toBeInstanceOf(SourceUnreachableError);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      silent.close();
    }

    const denied = await expectFailure(
      driver.checkSource({
        host: primary.host,
        port: primary.port,
        user: APP.user,
        password: WRONG_PASSWORD,
        database: 'app',
      }),
    );
    expect(denied).toBeInstanceOf(BadCredentialsError);
    expect(denied.message).toContain('"app"');

    const tinyDisk = createPostgresDriver({ supervisor: env.provider.supervisor, freeDiskBytes: async () => 1000 });
    const source: ExternalSource = {
      host: '127.0.0.1',
      port: 5432,
      user: 'postgres',
      password: WRONG_PASSWORD,
      database: 'postgres',
    };
    const full = await expectFailure(tinyDisk.copyFrom(source, primary));
    expect(full).toBeInstanceOf(InsufficientDiskError);
    expect(full.message).toMatch(/1000 bytes free/);

    // The source is newer than what this machine runs.
    const installed = findInstallations();
    const older = createPostgresDriver({
      supervisor: env.provider.supervisor,
      findInstallations: () => installed.map((i) => ({ ...i, major: i.major - 1 })),
    });
    const newer = await older.checkSource(source);
    expect(newer.blockers.join(' ')).toMatch(/newer than PostgreSQL/);

    expect(await expectFailure(driver.waitForPosition(primary, 'nonsense', 60_000))).toBeInstanceOf(InvalidLsnError);
    expect(await expectFailure(driver.checkAvailable('99'))).toBeInstanceOf(EngineUnavailableError);
    const timescale = createPostgresDriver({ supervisor: env.provider.supervisor, flavour: 'timescaledb' });
    expect(timescale.capabilities).toEqual({ multiMaster: false, extension: 'timescaledb' });
    const noExtension = await expectFailure(timescale.checkAvailable('15'));
    expect(noExtension).toBeInstanceOf(EngineUnavailableError);
    expect(noExtension.message).toMatch(/timescaledb.*not installed/);
    const hydra = createPostgresDriver({ supervisor: env.provider.supervisor, flavour: 'hydra' });
    expect(await expectFailure(hydra.checkAvailable('15'))).toBeInstanceOf(EngineUnavailableError);
    expect(driver.capabilities.multiMaster).toBe(false);
    expect(driver.configureMultiMaster).toBeUndefined();
  });

  it('kept every password out of error messages, driver logs and server logs', async () => {
    const serverLogs = await Promise.all(
      Object.values(nodes).map((node) => readFile(path.join(node.dataDir, 'postgres.log'), 'utf8').catch(() => '')),
    );
    const everything = [...errorMessages, ...logLines, ...serverLogs].join('\n');
    expect(errorMessages.length).toBeGreaterThan(5);
    for (const secret of [ADMIN_PASSWORD, REPLICATION_PASSWORD, WRONG_PASSWORD, APP.password]) {
      expect(everything).not.toContain(secret);
    }
  });
});

/**
 * The cluster owner on real PostgreSQL nodes, attacked as a hostile tenant would with the credentials
 * the API hands out: everything an application needs works; everything that reaches the host's files
 * or programs, the product's roles, replication or the fence is refused by the server with its own
 * error; a fence stops every session of the owner and of the roles it made, and a switchover under
 * the owner's writes loses no acknowledged write.
 */
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProvider, provisionTestNode, type TestNode, type TestProvider } from '../../test/local-provider';
import { startFenceWriter } from '../../test/fence-writer';
import { breaksWhileReading } from '../../test/unreadable-store';
import { LocalBackupStore } from '../local-backup-store';
import type { EngineCredentials } from '../types';
import { createPostgresDriver, type PostgresDriver } from './index';

const CLUSTER = 'pgo';
const credentials: EngineCredentials = {
  adminUser: 'dbco_admin',
  adminPassword: `admin-${process.pid}-secret`,
  replicationUser: 'dbco_repl',
  replicationPassword: `repl-${process.pid}-secret`,
  ownerUser: 'owner',
  ownerPassword: `own'er:pa\\ss-${process.pid}`,
};
const OWNER = { user: credentials.ownerUser!, password: credentials.ownerPassword! };
const ADMIN = { user: credentials.adminUser, password: credentials.adminPassword };

let env: TestProvider;
let driver: PostgresDriver;
let primary: TestNode;
let replica: TestNode;
/** A file outside every node: stands in for the product's journal and backups. */
let productFile: string;

type Who = { user: string; password: string };

/** A client through the node's firewall (its public address), as a tenant connects. */
async function connect(node: TestNode, who: Who, database = 'postgres'): Promise<Client> {
  const client = new Client({
    host: node.publicHost,
    port: node.publicPort,
    database,
    ...who,
    connectionTimeoutMillis: 5000,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function sql(node: TestNode, who: Who, text: string, database = 'postgres'): Promise<Record<string, unknown>[]> {
  const client = await connect(node, who, database);
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The statement fails on the server with SQLSTATE `code` (and a message matching `message`). */
async function refused(work: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const error = await work.then(
    () => undefined,
    (err: unknown) => err as Error & { code?: string },
  );
  expect(error, 'expected the server to refuse').toBeInstanceOf(Error);
  expect({ code: error!.code, message: error!.message }).toMatchObject({ code, ...(message ? { message } : {}) });
}

beforeAll(async () => {
  env = await createTestProvider();
  driver = createPostgresDriver({ supervisor: env.provider.supervisor });
  const spec = { engine: 'postgresql' as const, version: '15', cluster: CLUSTER, credentials, diskGb: 2 };
  [primary, replica] = await Promise.all([
    provisionTestNode(env, { ...spec, number: 1 }),
    provisionTestNode(env, { ...spec, number: 2 }),
  ]);
  await Promise.all([driver.initialise(primary), driver.initialise(replica)]);
  await driver.start(primary);
  await driver.configureAsPrimary(primary);
  await driver.configureAsReplica(replica, primary);
  productFile = path.join(env.baseDir, 'temporal.db');
  await writeFile(productFile, 'the product journal\n', { mode: 0o600 });
}, 180_000);

afterAll(async () => {
  await env?.cleanup();
}, 120_000);

describe('PostgreSQL cluster owner', () => {
  it('does what an application needs: databases, schemas, tables, DML, roles of its own', async () => {
    await sql(primary, OWNER, 'create database shop');
    await sql(
      primary,
      OWNER,
      `create schema sales;
       create table sales.orders (id int primary key, item text not null);
       insert into sales.orders values (1, 'coffee'), (2, 'tea');
       create table public.notes (id int);`,
      'shop',
    );
    await sql(primary, OWNER, 'create table public.in_postgres (id int); insert into public.in_postgres values (1)');
    await sql(primary, OWNER, "select dbco.create_role('reader', 'reader-pw')");
    await sql(primary, OWNER, 'grant usage on schema sales to reader; grant select on sales.orders to reader', 'shop');
    const reader = { user: 'reader', password: 'reader-pw' };
    expect(await sql(primary, reader, 'select item from sales.orders order by id', 'shop')).toEqual([
      { item: 'coffee' },
      { item: 'tea' },
    ]);
    // The owner manages its role's membership itself (ADMIN OPTION) and changes or drops it.
    await sql(primary, OWNER, "select dbco.create_role('app_group', null, false)");
    await sql(primary, OWNER, 'grant app_group to reader');
    await sql(primary, OWNER, "select dbco.alter_role('reader', 'reader-pw-2')");
    await sql(primary, OWNER, 'revoke app_group from reader');
    await sql(primary, OWNER, "select dbco.drop_role('app_group')");
    const roles = await sql(
      primary,
      ADMIN,
      "select rolname, rolsuper, rolcreaterole, rolreplication, rolbypassrls from pg_roles where rolname in ('owner', 'reader') order by 1",
    );
    expect(roles).toEqual([
      { rolname: 'owner', rolsuper: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false },
      { rolname: 'reader', rolsuper: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false },
    ]);
  });

  it("refuses every way to the server's files and programs, with PostgreSQL's own errors", async () => {
    const owner = await connect(primary, OWNER, 'shop');
    try {
      const attempts: Array<[string, string]> = [
        ["copy (select 1) to program 'id > /tmp/owned'", '42501'],
        ["copy public.notes from program 'id'", '42501'],
        [`copy public.notes from '${productFile}'`, '42501'],
        [`copy (select 1) to '${path.join(replica.dataDir, 'written-by-owner')}'`, '42501'],
        [`select pg_read_binary_file('${productFile}')`, '42501'],
        [`select pg_read_file('${path.join(replica.dataDir, 'pgdata', 'PG_VERSION')}')`, '42501'],
        [`select pg_ls_dir('${env.baseDir}')`, '42501'],
        [`select pg_stat_file('${productFile}')`, '42501'],
        [`select lo_import('${productFile}')`, '42501'],
        ['select * from pg_authid', '42501'],
        ["alter system set archive_command = 'id'", '42501'],
        ['select pg_reload_conf()', '42501'],
        ["load '/tmp/anything.so'", '42501'],
        ["create function evil() returns void as '/lib/x86_64-linux-gnu/libc.so.6', 'system' language c", '42501'],
        ['create extension file_fdw', '42501'],
        ['create extension adminpack', '42501'],
        ['create extension dblink', '42501'],
        ["set session_replication_role = 'replica'", '42501'],
        ["set log_statement = 'none'", '42501'],
      ];
      for (const [statement, code] of attempts) {
        await refused(owner.query(statement), code, /permission denied|must be superuser|not allowed|privileges of/);
      }
    } finally {
      await owner.end();
    }
  });

  it("refuses every way to more rights, to the product's roles and to replication", async () => {
    const owner = await connect(primary, OWNER);
    try {
      for (const statement of [
        'grant pg_execute_server_program to owner',
        'grant pg_read_server_files to owner',
        'grant pg_write_server_files to owner',
        'grant dbco_admin to owner',
        'grant dbco_repl to owner',
        'create role sneaky login',
        'alter role owner superuser',
        'alter role owner createrole',
        'alter role owner replication',
        'alter role owner bypassrls',
        "alter role dbco_repl password 'x'",
        "alter role dbco_admin password 'x'",
        'drop role dbco_repl',
        'set role dbco_admin',
        // Functions of the product run as the admin: they refuse roles that are not the owner's.
        "select dbco.drop_role('dbco_repl')",
        "select dbco.alter_role('dbco_admin', 'x')",
        "select dbco.alter_role('owner', null, null, true)",
        "select dbco.drop_role('owner')",
        'create or replace function dbco.create_role(text) returns void language sql as $$ select $$',
      ]) {
        await refused(owner.query(statement), '42501');
      }
      await refused(owner.query("select dbco.create_role('pg_sneaky')"), '42939', /reserved/);
      // A role the owner made is no more than the owner: it cannot call the owner's functions either.
      const reader = await connect(primary, { user: 'reader', password: 'reader-pw-2' });
      try {
        await refused(reader.query("select dbco.create_role('x')"), '42501');
        await refused(reader.query('grant pg_read_server_files to reader'), '42501');
      } finally {
        await reader.end();
      }
      // An admin session is out of the owner's reach.
      const admin = await connect(primary, ADMIN);
      try {
        const [{ pid }] = (await admin.query('select pg_backend_pid() as pid')).rows as Array<{ pid: number }>;
        await refused(owner.query(`select pg_terminate_backend(${pid})`), '42501', /superuser/);
      } finally {
        await admin.end();
      }
    } finally {
      await owner.end();
    }
    // No replication connection for the owner: physical ones are not in pg_hba.conf for it, logical
    // ones need the REPLICATION attribute.
    for (const [replication, code, message] of [
      [true, '28000', /pg_hba\.conf/],
      ['database', '42501', /replication role/],
    ] as const) {
      const client = new Client({
        host: primary.publicHost,
        port: primary.publicPort,
        ...OWNER,
        database: 'postgres',
        replication,
        connectionTimeoutMillis: 5000,
      } as ConstructorParameters<typeof Client>[0]);
      client.on('error', () => undefined);
      await refused(client.connect(), code, message);
      await client.end().catch(() => undefined);
    }
  });

  it("never runs the owner's look-alike catalog functions as the admin", async () => {
    // A closer argument match than pg_catalog's pg_terminate_backend(int, bigint), which the fence calls.
    await sql(
      primary,
      OWNER,
      `create table public.trojan (who text);
       grant insert on public.trojan to public;
       create function public.pg_terminate_backend(integer, integer) returns boolean language sql
         as $$ insert into public.trojan values (current_user); select true $$;
       create function public.pg_is_in_recovery(integer) returns boolean language sql
         as $$ insert into public.trojan values (current_user); select false $$;`,
    );
    const idle = await connect(primary, OWNER);
    await driver.fence(primary);
    await idle.end().catch(() => undefined);
    await driver.configureAsPrimary(primary);
    await driver.health(primary);
    expect(await sql(primary, ADMIN, 'select who from public.trojan')).toEqual([]);
    await sql(
      primary,
      OWNER,
      'drop function public.pg_terminate_backend(integer, integer); drop function public.pg_is_in_recovery(integer); drop table public.trojan',
    );
  });

  it('changes the owner password without ending the sessions the owner has open', async () => {
    const open = await connect(primary, OWNER, 'shop');
    const rotated = { ...credentials, ownerPassword: `rotated-${process.pid}` };
    await driver.ensureOwner({ ...primary, credentials: rotated });
    await driver.ensureOwner({ ...replica, credentials: rotated }); // a replica: nothing to do
    expect((await open.query('select count(*)::int as n from sales.orders')).rows).toEqual([{ n: 2 }]);
    await open.end();
    await refused(sql(primary, OWNER, 'select 1'), '28P01');
    const next = { user: OWNER.user, password: rotated.ownerPassword };
    expect(await sql(primary, next, 'select 1 as one')).toEqual([{ one: 1 }]);
    // Back to the suite's password (the call is idempotent and leaves the owner's data alone).
    await driver.ensureOwner(primary);
    await driver.ensureOwner(primary);
    expect(await sql(primary, OWNER, 'select count(*)::int as n from sales.orders', 'shop')).toEqual([{ n: 2 }]);
  });

  it('is on the replica through replication, read-only there', async () => {
    await waitForReplica();
    expect(await sql(replica, OWNER, 'select count(*)::int as n from sales.orders', 'shop')).toEqual([{ n: 2 }]);
    await refused(sql(replica, OWNER, "insert into sales.orders values (9, 'x')", 'shop'), '25006');
  });

  it('cannot write past a fence: open sessions end, read-only cannot be turned off, new sessions are refused; a switchover under its writes loses nothing', async () => {
    await sql(primary, OWNER, 'create table public.writes (id int primary key)', 'shop');
    // The owner writes straight to the old primary's node address throughout.
    const writer = startFenceWriter({
      open: () => connect(primary, OWNER, 'shop'),
      write: (client, id) => client.query('insert into public.writes values ($1)', [id]),
      close: (client) => client.end(),
    });
    // A role the owner made also writes, and a session tries to lift read-only mode after the fence.
    await sql(primary, OWNER, "select dbco.create_role('writer', 'writer-pw')");
    await sql(primary, OWNER, 'grant insert on public.writes to writer', 'shop');
    const writerRole = { user: 'writer', password: 'writer-pw' };
    const sneaky = await connect(primary, writerRole, 'shop');
    await writer.waitFor(50);

    const position = await driver.fence(primary);
    writer.fenced();
    // The session opened before the fence was ended: turning read-only off and writing fails.
    const lifted = await sneaky
      .query('set default_transaction_read_only = off')
      .then(() => sneaky.query('insert into public.writes values (-100)'))
      .then(
        () => 'written',
        (err: Error) => err.message,
      );
    expect(lifted).toMatch(/terminat|not queryable|Connection/i);
    await refused(connect(primary, OWNER, 'shop'), '28000', /pg_hba\.conf/);
    await refused(connect(primary, writerRole, 'shop'), '28000', /pg_hba\.conf/);
    await sneaky.end().catch(() => undefined);

    await driver.waitForPosition(replica, position, 30_000);
    await driver.promote(replica);
    expect(await writer.stop()).toBe(0);
    const onNewPrimary = new Set((await sql(replica, ADMIN, 'select id from public.writes', 'shop')).map((r) => r.id));
    expect(writer.acknowledged.length).toBeGreaterThanOrEqual(50);
    expect(writer.acknowledged.filter((id) => !onNewPrimary.has(id))).toEqual([]);
    // The owner writes on the new primary.
    await sql(replica, OWNER, 'insert into public.writes values (-1)', 'shop');

    // An aborted promotion's way back: configuring the old primary as primary again restores the owner.
    await driver.configureAsPrimary(primary);
    await sql(primary, OWNER, 'insert into public.writes values (-2)', 'shop');
  });

  it('lets no owner of another cluster read this one through the server', async () => {
    // The same attempts, aimed at the other node's data directory and at a backup of this one.
    const store = new LocalBackupStore(path.join(env.baseDir, 'backups'));
    const backup = await driver.backup(replica, store, 'pgo/attack');
    const owner = await connect(replica, OWNER);
    try {
      for (const file of [backup.location, path.join(primary.dataDir, 'conf', 'postgresql.conf'), productFile]) {
        await refused(owner.query(`select pg_read_binary_file('${file}')`), '42501');
        await refused(owner.query(`create temp table t (x text); copy t from '${file}'`), '42501');
      }
    } finally {
      await owner.end();
    }
  });
});

describe('PostgreSQL restore safety', () => {
  it('leaves the node running with its data when the backup breaks off while being read', async () => {
    const store = new LocalBackupStore(path.join(env.baseDir, 'backups'));
    const backup = await driver.backup(replica, store, 'pgo/breaks');
    await expect(driver.restore(replica, breaksWhileReading(store), backup)).rejects.toThrow();
    expect(await driver.health(replica)).toMatchObject({ up: true, role: 'primary' });
    expect(await sql(replica, OWNER, 'select count(*)::int as n from sales.orders', 'shop')).toEqual([{ n: 2 }]);
  });
});

async function waitForReplica(): Promise<void> {
  const [{ lsn }] = (await sql(primary, ADMIN, 'select pg_current_wal_lsn()::text as lsn')) as Array<{ lsn: string }>;
  await driver.waitForPosition(replica, lsn, 30_000);
}

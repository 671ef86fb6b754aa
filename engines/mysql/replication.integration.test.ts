/**
 * One primary with two replicas on the local provider, shared by the steps below (in order): replication,
 * lag, fencing, promotion under a live writer, erase-and-restore, and restoring the primary.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProvider, type TestProvider } from '../../test/local-provider';
import { BackupChecksumError, EngineUnavailableError, ReplicationTimeoutError } from '../errors';
import { LocalBackupStore } from '../local-backup-store';
import type { EngineDriver } from '../types';
import { createMysqlDriver } from './index';
import { ReplicaDivergedError } from './errors';
import {
  adminQuery,
  appConnection,
  createAppSchema,
  itemRows,
  provisionNode,
  recordingLogger,
  testCredentials,
  type TestNode,
} from './test-support';

const CLUSTER = 'myrepl';
const credentials = testCredentials();
const { logger, lines } = recordingLogger();
const errorMessages: string[] = [];

let env: TestProvider;
let driver: EngineDriver;
let store: LocalBackupStore;
let storeDir: string | undefined;
let n1: TestNode;
let n2: TestNode;
let n3: TestNode;

/** Remembers the messages of expected errors, to check later that none carries a password. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason as Error,
  );
  if (error === undefined) throw new Error('expected the call to fail');
  errorMessages.push(error.message);
  return error;
}

async function insertItem(node: TestNode, label: string): Promise<void> {
  const client = await appConnection(node.publicHost, node.publicPort);
  try {
    await client.query('INSERT INTO items (label) VALUES (?)', [label]);
  } finally {
    await client.end();
  }
}

async function syncReplicas(primary: TestNode, ...replicas: TestNode[]): Promise<void> {
  const position = (await driver.health(primary)).position ?? '';
  for (const replica of replicas) await driver.waitForPosition(replica, position, 30_000);
}

beforeAll(async () => {
  env = await createTestProvider();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mysql-backups-'));
  storeDir = dir;
  store = new LocalBackupStore(dir);
  driver = createMysqlDriver({ supervisor: env.provider.supervisor, logger });
  [n1, n2, n3] = await Promise.all([1, 2, 3].map((number) => provisionNode(env, CLUSTER, number, credentials)));
  await Promise.all([n1, n2, n3].map((node) => driver.initialise(node)));
  await Promise.all([n1, n2, n3].map((node) => driver.start(node)));
  await driver.configureAsPrimary(n1);
  await createAppSchema(n1);
  await insertItem(n1, 'before-seeding');
  // n2 is seeded from a backup of the primary (as deploy does); n3 replays the primary's whole binlog.
  const seed = await driver.backup(n1, store, 'seed/n1');
  await driver.restore(n2, store, seed);
  await driver.configureAsReplica(n2, n1);
  await driver.configureAsReplica(n3, n1);
});

afterAll(async () => {
  try {
    await env?.cleanup();
  } finally {
    if (storeDir !== undefined) await fs.rm(storeDir, { recursive: true, force: true });
  }
});

describe('mysql driver: primary and replicas', () => {
  it('refuses versions it does not have and accepts the installed one', async () => {
    await expect(driver.checkAvailable('10.11')).resolves.toBeUndefined();
    const error = await failure(driver.checkAvailable('8.0'));
    expect(error).toBeInstanceOf(EngineUnavailableError);
    expect(error.message).toMatch(/8\.0.*not available.*10\.11/);
  });

  it('replicates writes from the primary to both replicas', async () => {
    await insertItem(n1, 'replicated');
    await syncReplicas(n1, n2, n3);
    const expected = await itemRows(n1);
    expect(expected.map((row) => row.split(':')[1])).toEqual(['before-seeding', 'replicated']);
    expect(await itemRows(n2)).toEqual(expected);
    expect(await itemRows(n3)).toEqual(expected);
    const [primary, replica] = await Promise.all([driver.health(n1), driver.health(n2)]);
    expect(primary).toMatchObject({ up: true, role: 'primary', readOnly: false });
    expect(replica).toMatchObject({ up: true, role: 'replica', readOnly: true });
    expect(replica.replication).toMatchObject({ primary: `${n1.host}:${n1.port}`, state: 'streaming', lagBytes: 0 });
  });

  it('repeats every mutation harmlessly', async () => {
    await driver.initialise(n1);
    await driver.configureAsPrimary(n1);
    await driver.promote(n1);
    await driver.configureAsReplica(n2, n1);
    await driver.start(n3);
    await insertItem(n1, 'after-repeats');
    await syncReplicas(n1, n2, n3);
    expect(await itemRows(n2)).toEqual(await itemRows(n1));
    expect((await driver.health(n3)).replication?.state).toBe('streaming');
  });

  it('reports lag that grows while a replica is stopped, and a down node without throwing', async () => {
    await adminQuery(n3, 'STOP SLAVE');
    await insertItem(n1, 'missed-1');
    const first = (await driver.health(n3)).replication;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await insertItem(n1, 'missed-2');
    const second = (await driver.health(n3)).replication;
    expect(first?.state).toBe('stopped');
    expect(first?.lagBytes).toBeGreaterThan(0);
    expect(second?.lagBytes).toBeGreaterThan(first?.lagBytes ?? 0);
    expect(second?.lagSeconds).toBeGreaterThanOrEqual(1);
    expect(second?.lagSeconds).toBeGreaterThanOrEqual(first?.lagSeconds ?? 0);

    const wanted = (await driver.health(n1)).position ?? '';
    const reached = (await driver.health(n3)).position ?? '';
    const timeout = await failure(driver.waitForPosition(n3, wanted, 300));
    expect(timeout).toBeInstanceOf(ReplicationTimeoutError);
    expect(timeout.message).toContain(n3.name);
    expect(timeout.message).toContain(wanted);
    expect(timeout.message).toContain(reached);

    await driver.stop(n3);
    await driver.stop(n3);
    const down = await driver.health(n3);
    expect(down).toMatchObject({ up: false, role: 'unknown' });
    expect(down.error).toContain(n3.name);

    await driver.start(n3);
    await driver.configureAsReplica(n3, n1);
    await syncReplicas(n1, n3);
    expect((await driver.health(n3)).replication).toMatchObject({ state: 'streaming', lagBytes: 0, lagSeconds: 0 });
  });

  it('fences a primary: ordinary clients can no longer write, open transactions are cut off', async () => {
    const open = await appConnection(n1.publicHost, n1.publicPort);
    await open.query('BEGIN');
    await open.query('INSERT INTO items (label) VALUES (?)', ['uncommitted']);
    const position = await driver.fence(n1);
    expect(position).toBe((await driver.health(n1)).position);
    await expect(open.query('COMMIT')).rejects.toThrow();
    open.destroy();
    const rejected = await failure(insertItem(n1, 'after-fence'));
    expect(rejected.message).toMatch(/read-only/i);
    expect(await driver.health(n1)).toMatchObject({ role: 'primary', readOnly: true });
    expect((await itemRows(n1)).some((row) => row.includes('uncommitted'))).toBe(false);
    await driver.configureAsPrimary(n1);
    await insertItem(n1, 'after-unfence');
  });

  it('promotes a replica while a writer keeps writing through the endpoint, losing no acknowledged write', async () => {
    const endpoint = await env.provider.setEndpoint(CLUSTER, { host: n1.publicHost, port: n1.publicPort });
    const acknowledged: string[] = [];
    const ackTimes: number[] = [];
    let failures = 0;
    let stopWriting = false;
    const writer = (async () => {
      let client: Awaited<ReturnType<typeof appConnection>> | undefined;
      for (let sequence = 0; !stopWriting; sequence++) {
        const label = `w${sequence}`;
        try {
          client ??= await appConnection(endpoint.host, endpoint.port);
          await client.query('INSERT INTO items (label) VALUES (?)', [label]);
          acknowledged.push(label);
          ackTimes.push(Date.now());
        } catch {
          failures++;
          client?.destroy();
          client = undefined;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      client?.destroy();
    })();
    const waitForAcks = async (count: number) => {
      while (acknowledged.length < count) await new Promise((resolve) => setTimeout(resolve, 10));
    };

    await waitForAcks(20);
    const switchStarted = Date.now();
    const finalPosition = await driver.fence(n1);
    await driver.waitForPosition(n2, finalPosition, 30_000);
    await driver.promote(n2);
    await driver.configureAsReplica(n3, n2);
    await driver.configureAsReplica(n1, n2);
    await env.provider.setEndpoint(CLUSTER, { host: n2.publicHost, port: n2.publicPort });
    const switchMs = Date.now() - switchStarted;
    const acksAtSwitch = acknowledged.length;
    await waitForAcks(acksAtSwitch + 20);
    stopWriting = true;
    await writer;

    await syncReplicas(n2, n1, n3);
    for (const node of [n2, n1, n3]) {
      const labels = new Set((await itemRows(node)).map((row) => row.split(':')[1]));
      expect(acknowledged.filter((label) => !labels.has(label))).toEqual([]);
    }
    expect(await itemRows(n1)).toEqual(await itemRows(n2));
    expect(await itemRows(n3)).toEqual(await itemRows(n2));
    expect(await driver.health(n2)).toMatchObject({ role: 'primary', readOnly: false });
    expect(await driver.health(n1)).toMatchObject({ role: 'replica', readOnly: true });
    const longestGapMs = Math.max(...ackTimes.slice(1).map((time, index) => time - ackTimes[index]));
    console.log(
      `promotion: switch took ${switchMs} ms, longest gap between acknowledged writes ${longestGapMs} ms; ` +
        `${acknowledged.length} writes acknowledged, ${failures} attempts failed and were retried`,
    );
  });

  it('brings an erased replica back in sync from a backup of the primary', async () => {
    const artifact = await driver.backup(n2, store, 'resync/n2');
    expect(artifact).toMatchObject({ engine: 'mysql', sizeBytes: expect.any(Number) });
    expect(artifact.position).toMatch(/^\d+-\d+-\d+/);
    await driver.erase(n3);
    await driver.erase(n3);
    expect((await driver.health(n3)).up).toBe(false);
    await driver.restore(n3, store, artifact);
    await driver.configureAsReplica(n3, n2);
    await insertItem(n2, 'after-resync');
    await syncReplicas(n2, n3);
    expect(await itemRows(n3)).toEqual(await itemRows(n2));
  });

  it('refuses to restore a corrupted backup and leaves the node running', async () => {
    const artifact = await driver.backup(n2, store, 'corrupt/n2');
    const file = store.pathOf(artifact.key);
    const handle = await fs.open(file, 'r+');
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, 1000);
    byte[0] ^= 0xff;
    await handle.write(byte, 0, 1, 1000);
    await handle.close();
    expect(await failure(driver.restore(n2, store, artifact))).toBeInstanceOf(BackupChecksumError);
    expect((await driver.health(n2)).up).toBe(true);
  });

  it('restores the primary to exactly the backed-up data; replicas then need a resync', async () => {
    const artifact = await driver.backup(n2, store, 'restore/n2');
    const backedUp = await itemRows(n2);
    await insertItem(n2, 'after-backup');
    await syncReplicas(n2, n1, n3);
    await driver.restore(n2, store, artifact);
    expect(await itemRows(n2)).toEqual(backedUp);
    expect(await driver.health(n2)).toMatchObject({ up: true, role: 'primary', readOnly: false });

    // n1 holds the write the restore removed: following n2 again would silently diverge.
    const diverged = await failure(driver.configureAsReplica(n1, n2));
    expect(diverged).toBeInstanceOf(ReplicaDivergedError);

    const fresh = await driver.backup(n2, store, 'restore/reseed');
    for (const replica of [n1, n3]) {
      await driver.erase(replica);
      await driver.restore(replica, store, fresh);
      await driver.configureAsReplica(replica, n2);
    }
    await insertItem(n2, 'after-restore');
    await syncReplicas(n2, n1, n3);
    expect(await itemRows(n1)).toEqual(await itemRows(n2));
    expect(await itemRows(n3)).toEqual(await itemRows(n2));
  });

  it('never puts a password in a log line or an error message', async () => {
    const secrets = [credentials.adminPassword, credentials.replicationPassword];
    const serverLogs: string[] = [];
    for (const node of [n1, n2, n3]) {
      const logFile = path.join(node.dataDir, 'log', 'mariadbd.log');
      serverLogs.push(await fs.readFile(logFile, 'utf8'));
    }
    expect(lines.length).toBeGreaterThan(0);
    expect(errorMessages.length).toBeGreaterThan(0);
    for (const text of [...lines, ...errorMessages, ...serverLogs]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});

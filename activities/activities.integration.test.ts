/**
 * The activity functions end to end on the local provider with Redis (the fastest engine here):
 * provision → initialise → configurePrimary → takeBackup → restoreBackup on a second node →
 * nodeHealth → deprovision, checking the data, calling each step twice where a retry could, and
 * checking how failures reach a workflow (type, retryability, no password in any message).
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalBackupStore } from '../engines/local-backup-store';
import type { BackupStore, CopyProgress } from '../engines/types';
import { activityEnv, depsFor, rejectionOf } from '../test/activities-support';
import { createTestProvider, type TestProvider } from '../test/local-provider';
import type { Credentials } from '../workflows/types';
import type { BackupResult, ClusterActivities, NodeTarget, ProvisionedNodeInfo } from './contract';
import { createEngineRegistry, type EngineRegistry } from './engine-registry';
import { createActivities } from './index';

const CLUSTER = 'actx';
const PLAN = { cpu: 1, ramMb: 256, diskGb: 1 };
const credentials: Credentials = {
  adminUser: 'orch_admin',
  adminPassword: `adm-${randomBytes(8).toString('hex')}`,
  replicationUser: 'orch_repl',
  replicationPassword: `rep-${randomBytes(8).toString('hex')}`,
  ownerUser: 'owner',
  ownerPassword: `own-${randomBytes(8).toString('hex')}`,
};
const WRONG_PASSWORD = `wrong-${randomBytes(8).toString('hex')}`;
const SECRETS = [
  credentials.adminPassword,
  credentials.replicationPassword,
  credentials.ownerPassword!,
  WRONG_PASSWORD,
];

let env: TestProvider;
let storeDir: string;
let store: LocalBackupStore;
let engines: EngineRegistry;
let activities: ClusterActivities;
const clients: Redis[] = [];
/** Every failure message seen, checked for passwords at the end. */
const failureTexts: string[] = [];

const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
  activityEnv().run(fn, ...args);

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await rejectionOf(promise);
  failureTexts.push(`${error.message}\n${error.stack ?? ''}`);
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

function targetOf(name: string, number: number, node: ProvisionedNodeInfo, creds = credentials): NodeTarget {
  return {
    cluster: CLUSTER,
    engine: 'redis',
    version: '7',
    node: { name, number, privateHost: node.privateHost, privatePort: node.privatePort, dataDir: node.dataDir },
    credentials: creds,
  };
}

function admin(host: string, port: number): Redis {
  const client = new Redis({
    host,
    port,
    username: credentials.adminUser,
    password: credentials.adminPassword,
    maxRetriesPerRequest: 1,
  });
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

async function freedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return address.port;
}

beforeAll(async () => {
  env = await createTestProvider();
  storeDir = await fs.mkdtemp(path.join(tmpdir(), 'activities-backups-'));
  store = new LocalBackupStore(storeDir);
  engines = createEngineRegistry({ supervisor: env.provider.supervisor });
  activities = createActivities(depsFor({ engines, vm: env.provider, backups: store }));
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  try {
    await env?.cleanup();
  } finally {
    if (storeDir) await fs.rm(storeDir, { recursive: true, force: true });
  }
});

describe('activities on the local provider with Redis', () => {
  let p1: ProvisionedNodeInfo;
  let p2: ProvisionedNodeInfo;
  let t1: NodeTarget;
  let t2: NodeTarget;
  let backup: BackupResult;

  it('provisions nodes; provisioning an existing node returns the same node', async () => {
    const open = { cluster: CLUSTER, plan: PLAN, allowlist: [] };
    p1 = await run(activities.provisionNode, { ...open, node: 'actx1' });
    expect(await run(activities.provisionNode, { ...open, node: 'actx1' })).toEqual(p1);
    p2 = await run(activities.provisionNode, { ...open, node: 'actx2' });
    expect(p1.port).not.toBe(p1.privatePort);
    expect(p2.dataDir).not.toBe(p1.dataDir);
    t1 = targetOf('actx1', 1, p1);
    t2 = targetOf('actx2', 2, p2);
    expect(await run(activities.freeDiskBytes, 'actx1')).toBeGreaterThan(0);
  });

  it('initialises and configures the primary, twice without harm', async () => {
    await run(activities.initialiseNode, t1);
    await run(activities.initialiseNode, t1);
    await run(activities.configurePrimary, t1);
    await run(activities.configurePrimary, t1);
    const client = admin(p1.privateHost, p1.privatePort);
    for (let i = 0; i < 50; i++) await client.set(`order:${i}`, `value ${i}`);
    await client.hset('customer:1', { name: 'Ada', city: 'London' });
    const health = await run(activities.nodeHealth, t1);
    expect(health).toMatchObject({ node: 'actx1', up: true, role: 'primary', readOnly: false, lagBytes: 0 });
    expect(health.position).toMatch(/^[0-9a-f]{40}:\d+$/);
  });

  it('takes a backup of the primary into the store', async () => {
    backup = await run(activities.takeBackup, t1, 'actx/backup-1');
    expect(backup.key).toBe('actx/backup-1');
    expect(backup.sizeBytes).toBeGreaterThan(0);
    expect(backup.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await fs.stat(backup.location)).size).toBe(backup.sizeBytes);
  });

  it('restores the backup on a second node (never initialised), and again with the same result', async () => {
    const entry = { key: backup.key, sizeBytes: backup.sizeBytes, sha256: backup.sha256, position: backup.position };
    await run(activities.restoreBackup, t2, entry);
    await run(activities.restoreBackup, t2, entry);
    const client = admin(p2.privateHost, p2.privatePort);
    expect(await client.dbsize()).toBe(51);
    expect(await client.get('order:42')).toBe('value 42');
    expect(await client.hgetall('customer:1')).toEqual({ name: 'Ada', city: 'London' });
    expect(await run(activities.nodeHealth, t2)).toMatchObject({ up: true, role: 'primary', readOnly: false });
  });

  it('refuses to restore a backup that never completed or does not match its checksum', async () => {
    const incomplete = await failureOf(run(activities.restoreBackup, t2, { key: backup.key }));
    expect(incomplete.type).toBe('IncompleteBackupError');
    expect(incomplete.nonRetryable).toBe(true);
    const corrupt = await failureOf(
      run(activities.restoreBackup, t2, { key: backup.key, sizeBytes: backup.sizeBytes, sha256: '0'.repeat(64) }),
    );
    expect(corrupt.type).toBe('BackupChecksumError');
    expect(corrupt.nonRetryable).toBe(true);
    expect(await admin(p2.privateHost, p2.privatePort).get('order:1')).toBe('value 1');
  });

  it('aborts a cancelled backup: the stream stops, nothing is stored, the node carries on', async () => {
    const activityEnvironment = activityEnv();
    // A real store that cancels the activity as soon as the first bytes of the snapshot arrive.
    const cancellingStore: BackupStore = {
      put(key: string, data: Readable) {
        const tap = new Transform({
          transform(chunk, _encoding, done) {
            activityEnvironment.cancel();
            done(null, chunk);
          },
        });
        return store.put(
          key,
          pipeline(data, tap, () => undefined),
        );
      },
      get: (key) => store.get(key),
      verify: (object) => store.verify(object),
      delete: (key) => store.delete(key),
      exists: (key) => store.exists(key),
    };
    const cancelling = createActivities(depsFor({ engines, vm: env.provider, backups: cancellingStore }));
    const error = await rejectionOf(activityEnvironment.run(cancelling.takeBackup, t1, 'actx/cancelled'));
    expect(error).toBeInstanceOf(CancelledFailure);
    expect(await store.exists('actx/cancelled')).toBe(false);
    expect((await fs.readdir(path.join(storeDir, 'actx'))).filter((f) => f.includes('cancelled'))).toEqual([]);
    expect(await run(activities.nodeHealth, t1)).toMatchObject({ up: true, role: 'primary' });
    const again = await run(activities.takeBackup, t1, 'actx/after-cancel');
    expect(again.sizeBytes).toBeGreaterThan(0);
  });

  it('copies from an external source, heartbeating its progress', async () => {
    const source = admin(p1.privateHost, p1.privatePort);
    const batch = source.pipeline();
    for (let i = 0; i < 1200; i++) batch.set(`copied:${i}`, `c${i}`);
    await batch.exec();
    const beats: unknown[] = [];
    const environment = activityEnv();
    environment.on('heartbeat', (details: unknown) => beats.push(details));
    const sourceInput = {
      host: p1.privateHost,
      port: p1.privatePort,
      user: credentials.adminUser,
      password: credentials.adminPassword,
      database: '0',
    };
    const report = await environment.run(activities.copyFromSource, t2, sourceInput);
    expect(report).toMatchObject({ copied: 1251, unit: 'keys' });
    expect(await admin(p2.privateHost, p2.privatePort).get('copied:1199')).toBe('c1199');
    const progress = beats.filter((b): b is CopyProgress => b !== undefined);
    expect(progress[0]).toEqual({ done: 0, total: 1251, unit: 'keys' });

    const check = await run(activities.checkSource, 'redis', '7', sourceInput);
    expect(check.version).toMatch(/^7\./);
    expect(check.blockers).toEqual([]);
    expect(Object.keys(check).sort()).toEqual(['blockers', 'sizeBytes', 'version', 'warnings']);
  });

  it('points the endpoint at a node, idempotently, and moves it', async () => {
    await admin(p1.privateHost, p1.privatePort).set('whoami', 'actx1');
    await admin(p2.privateHost, p2.privatePort).set('whoami', 'actx2');
    const endpoint = await run(activities.pointEndpoint, CLUSTER, { host: p1.host, port: p1.port });
    expect(await run(activities.pointEndpoint, CLUSTER, { host: p1.host, port: p1.port })).toEqual(endpoint);
    expect(await admin(endpoint.host, endpoint.port).get('whoami')).toBe('actx1');
    expect(await run(activities.pointEndpoint, CLUSTER, { host: p2.host, port: p2.port })).toEqual(endpoint);
    expect(await admin(endpoint.host, endpoint.port).get('whoami')).toBe('actx2');
    await run(activities.removeEndpoint, CLUSTER);
    await run(activities.removeEndpoint, CLUSTER);
  });

  it('applies an allowlist to every node, twice without harm', async () => {
    await run(activities.applyAllowlist, ['actx1', 'actx2'], ['127.0.0.0/8', '::1']);
    await run(activities.applyAllowlist, ['actx1', 'actx2'], ['127.0.0.0/8', '::1']);
    expect(await admin(p1.host, p1.port).get('whoami')).toBe('actx1');
    const bad = await failureOf(run(activities.applyAllowlist, ['actx1'], ['300.1.1.1']));
    expect(bad.type).toBe('InvalidAddressError');
    expect(bad.nonRetryable).toBe(true);
    await run(activities.applyAllowlist, ['actx1', 'actx2'], []);
  });

  it('puts the owner on every node, with a new password when asked, and cuts a node off and back', async () => {
    const asOwner = async (node: ProvisionedNodeInfo, password = credentials.ownerPassword!) => {
      const client = new Redis({
        host: node.host,
        port: node.port,
        username: 'owner',
        password,
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return await client.get('whoami');
      } finally {
        client.disconnect();
      }
    };
    const rotated = { ...credentials, ownerPassword: `rotated-${randomBytes(8).toString('hex')}` };
    SECRETS.push(rotated.ownerPassword);
    for (const target of [targetOf('actx1', 1, p1, rotated), targetOf('actx2', 2, p2, rotated)]) {
      await run(activities.ensureOwner, target);
      await run(activities.ensureOwner, target);
    }
    expect(await asOwner(p1, rotated.ownerPassword)).toBe('actx1');
    await expect(asOwner(p2)).rejects.toThrow();
    for (const target of [t1, t2]) await run(activities.ensureOwner, target);
    expect(await asOwner(p2)).toBe('actx2');

    await run(activities.isolateNode, 'actx1');
    await run(activities.isolateNode, 'actx1');
    await expect(asOwner(p1)).rejects.toThrow();
    expect(await asOwner(p2)).toBe('actx2');
    await run(activities.reconnectNode, 'actx1');
    expect(await asOwner(p1)).toBe('actx1');

    const noOwner = await failureOf(
      run(activities.ensureOwner, targetOf('actx1', 1, p1, { ...credentials, ownerUser: undefined })),
    );
    expect(noOwner.type).toBe('UnsupportedOperationError');
    expect(noOwner.nonRetryable).toBe(true);
  });

  it('verifies a stored backup without touching any node, and refuses one that does not match', async () => {
    await run(activities.verifyBackup, backup);
    const altered = await failureOf(run(activities.verifyBackup, { ...backup, sha256: '0'.repeat(64) }));
    expect(altered.type).toBe('BackupChecksumError');
    expect(altered.nonRetryable).toBe(true);
    const incomplete = await failureOf(run(activities.verifyBackup, { key: backup.key }));
    expect(incomplete.type).toBe('IncompleteBackupError');
  });

  it('reports failures by type and retryability, with no password in any message', async () => {
    const wrongCredentials = { ...credentials, adminPassword: WRONG_PASSWORD };
    const refused = await failureOf(run(activities.configurePrimary, targetOf('actx1', 1, p1, wrongCredentials)));
    expect(refused.type).toBe('BadCredentialsError');
    expect(refused.nonRetryable).toBe(true);

    const health = await run(activities.nodeHealth, targetOf('actx1', 1, p1, wrongCredentials));
    expect(health.up).toBe(false);
    failureTexts.push(health.error ?? '');

    const badSource = { host: p1.privateHost, port: p1.privatePort, user: 'orch_admin', password: WRONG_PASSWORD };
    const sourceRefused = await failureOf(run(activities.checkSource, 'redis', '7', badSource));
    expect(sourceRefused.type).toBe('BadCredentialsError');
    expect(sourceRefused.nonRetryable).toBe(true);

    const unreachable = { ...badSource, port: await freedPort() };
    const noAnswer = await failureOf(run(activities.copyFromSource, t2, unreachable));
    expect(noAnswer.type).toBe('SourceUnreachableError');
    expect(noAnswer.nonRetryable).toBe(true);

    const multiMaster = await failureOf(run(activities.configureMultiMaster, t1, t2));
    expect(multiMaster.type).toBe('UnsupportedOperationError');
    expect(multiMaster.nonRetryable).toBe(true);

    for (const text of failureTexts) for (const secret of SECRETS) expect(text).not.toContain(secret);
  });

  it('forgets a replica (nothing to release for Redis) and deletes backups, twice without harm', async () => {
    await run(activities.forgetReplica, t1, 'actx2');
    await run(activities.deleteBackup, backup.key);
    await run(activities.deleteBackup, backup.key);
    expect(await store.exists(backup.key)).toBe(false);
  });

  it('deprovisions nodes, including ones already gone or never there', async () => {
    await run(activities.deprovisionNode, 'actx2');
    await run(activities.deprovisionNode, 'actx2');
    await run(activities.deprovisionNode, 'actx9');
    expect(await env.provider.describe('actx2')).toBeUndefined();
    expect((await run(activities.nodeHealth, t2)).up).toBe(false);
    await run(activities.deprovisionNode, 'actx1');
    await expect(fs.stat(p1.dataDir)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

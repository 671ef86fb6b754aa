/**
 * What only PostgreSQL does among the activities: `forgetReplica` drops the removed replica's
 * replication slot on the primary (so it stops holding back WAL), idempotently.
 */
import { Client } from 'pg';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityEnv, depsFor } from '../test/activities-support';
import { createTestProvider, type TestProvider } from '../test/local-provider';
import type { ClusterActivities, NodeTarget } from './contract';
import { createEngineRegistry } from './engine-registry';
import { createActivities } from './index';

let env: TestProvider;
let activities: ClusterActivities;
let primary: NodeTarget;

const credentials = {
  adminUser: 'orch_admin',
  adminPassword: `adm-${randomBytes(8).toString('hex')}`,
  replicationUser: 'orch_repl',
  replicationPassword: `rep-${randomBytes(8).toString('hex')}`,
};

const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
  activityEnv().run(fn, ...args);

async function sql<T>(query: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({
    host: primary.node.privateHost,
    port: primary.node.privatePort,
    user: credentials.adminUser,
    password: credentials.adminPassword,
    database: 'postgres',
  });
  await client.connect();
  try {
    return (await client.query(query, params)).rows as T[];
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  env = await createTestProvider();
  activities = createActivities(
    depsFor({ engines: createEngineRegistry({ supervisor: env.provider.supervisor }), vm: env.provider }),
  );
  const node = await run(activities.provisionNode, {
    cluster: 'pgact',
    node: 'pgact1',
    plan: { cpu: 1, ramMb: 256, diskGb: 1 },
  });
  primary = {
    cluster: 'pgact',
    engine: 'postgresql',
    version: '15',
    node: {
      name: 'pgact1',
      number: 1,
      privateHost: node.privateHost,
      privatePort: node.privatePort,
      dataDir: node.dataDir,
    },
    credentials,
  };
  await run(activities.initialiseNode, primary);
  await run(activities.configurePrimary, primary);
});

afterAll(async () => {
  await env?.cleanup();
});

describe('activities on a PostgreSQL primary', () => {
  it('reports the primary healthy with nothing to catch up on', async () => {
    expect(await run(activities.nodeHealth, primary)).toMatchObject({
      node: 'pgact1',
      up: true,
      role: 'primary',
      readOnly: false,
      lagBytes: 0,
      lagSeconds: 0,
    });
  });

  it("drops a removed replica's slot, and is a no-op when it is already gone", async () => {
    await sql("select pg_create_physical_replication_slot('replica_pgact2', true)");
    await sql("select pg_create_physical_replication_slot('replica_pgact3', true)");
    await run(activities.forgetReplica, primary, 'pgact2');
    await run(activities.forgetReplica, primary, 'pgact2');
    const slots = await sql<{ slot_name: string }>('select slot_name from pg_replication_slots order by 1');
    expect(slots.map((s) => s.slot_name)).toEqual(['replica_pgact3']);
  });
});

import { describe, expect, it } from 'vitest';
import type { ClusterView } from '../workflows/types';
import { connectionInfo, readConnectionInfo, type ConnectionSource } from './connection-info';
import { NoEndpointYetError, NoOwnerYetError, ResourceNotFoundError } from './errors';

const owner = { user: 'owner', password: 'p@ss:w/rd' };
const credentials = {
  adminUser: 'dbco_admin',
  adminPassword: 'admin-secret',
  replicationUser: 'dbco_repl',
  replicationPassword: 'repl-secret',
  ownerUser: owner.user,
  ownerPassword: owner.password,
};

describe('connectionInfo', () => {
  it('gives PostgreSQL flavours a postgresql:// URI to the postgres database', () => {
    for (const engine of ['postgresql', 'timescaledb', 'hydra'] as const) {
      expect(connectionInfo('shop', engine, { host: '127.0.0.1', port: 24000 }, owner)).toEqual({
        cluster: 'shop',
        engine,
        host: '127.0.0.1',
        port: 24000,
        user: 'owner',
        password: 'p@ss:w/rd',
        database: 'postgres',
        uri: 'postgresql://owner:p%40ss%3Aw%2Frd@127.0.0.1:24000/postgres',
      });
    }
  });

  it('gives Redis flavours a redis:// URI with the ACL user', () => {
    for (const engine of ['redis', 'keydb', 'valkey'] as const) {
      const info = connectionInfo('cache', engine, { host: '127.0.0.1', port: 25000 }, owner);
      expect(info.uri).toBe('redis://owner:p%40ss%3Aw%2Frd@127.0.0.1:25000');
      expect(info.database).toBeUndefined();
    }
  });

  it('gives MySQL a mysql:// URI, and brackets IPv6 hosts', () => {
    const info = connectionInfo('orders', 'mysql', { host: '::1', port: 26000 }, owner);
    expect(info.uri).toBe('mysql://owner:p%40ss%3Aw%2Frd@[::1]:26000/');
    expect(info.host).toBe('::1');
    expect(new URL(info.uri).password).toBe('p%40ss%3Aw%2Frd');
    expect(decodeURIComponent(new URL(info.uri).password)).toBe(owner.password);
  });
});

describe('readConnectionInfo', () => {
  /** One cluster in a given state, answered from memory the way the entity's queries would. */
  const source = (
    status: ClusterView['status'],
    endpoint?: { host: string; port: number },
    held: Partial<typeof credentials> = credentials,
  ): ConnectionSource => ({
    state: async () => ({ status, spec: { engine: 'redis' }, ...(endpoint ? { endpoint } : {}) }),
    credentials: async () => held,
  });
  const endpoint = { host: '127.0.0.1', port: 25000 };

  it("answers a running cluster's connection through its endpoint, as its owner and never its admin", async () => {
    const info = await readConnectionInfo(source('running', endpoint), 'cache');
    expect(info).toEqual(connectionInfo('cache', 'redis', endpoint, owner));
    expect(JSON.stringify(info)).not.toContain('dbco_admin');
    expect(JSON.stringify(info)).not.toContain('admin-secret');
  });

  it('refuses a cluster created before owners existed (409) instead of handing out its admin', async () => {
    const { ownerUser: _user, ownerPassword: _password, ...older } = credentials;
    const error = await readConnectionInfo(source('running', endpoint, older), 'cache').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(NoOwnerYetError);
    expect((error as NoOwnerYetError).status).toBe(409);
    expect((error as NoOwnerYetError).detail).not.toContain('admin-secret');
  });

  it('refuses a deleted or deleting cluster as not found (404)', async () => {
    for (const status of ['deleted', 'deleting'] as const) {
      const error = await readConnectionInfo(source(status, endpoint), 'cache').catch((err: unknown) => err);
      expect(error).toBeInstanceOf(ResourceNotFoundError);
      expect((error as ResourceNotFoundError).status).toBe(404);
    }
  });

  it('refuses a cluster whose endpoint does not exist yet (409), saying to ask again later', async () => {
    for (const status of ['deploying', 'failed'] as const) {
      const error = await readConnectionInfo(source(status), 'cache').catch((err: unknown) => err);
      expect(error).toBeInstanceOf(NoEndpointYetError);
      expect((error as NoEndpointYetError).status).toBe(409);
      expect((error as NoEndpointYetError).detail).toMatch(`cluster cache has no endpoint yet (status ${status})`);
      expect((error as NoEndpointYetError).detail).not.toContain(owner.password);
    }
  });
});

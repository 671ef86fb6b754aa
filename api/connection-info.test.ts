import { describe, expect, it } from 'vitest';
import { connectionInfo } from './credentials-route';

const admin = { adminUser: 'dbco_admin', adminPassword: 'p@ss:w/rd' };

describe('connectionInfo', () => {
  it('gives PostgreSQL flavours a postgresql:// URI to the postgres database', () => {
    for (const engine of ['postgresql', 'timescaledb', 'hydra'] as const) {
      expect(connectionInfo('shop', engine, { host: '127.0.0.1', port: 24000 }, admin)).toEqual({
        cluster: 'shop',
        engine,
        host: '127.0.0.1',
        port: 24000,
        user: 'dbco_admin',
        password: 'p@ss:w/rd',
        database: 'postgres',
        uri: 'postgresql://dbco_admin:p%40ss%3Aw%2Frd@127.0.0.1:24000/postgres',
      });
    }
  });

  it('gives Redis flavours a redis:// URI with the ACL user', () => {
    for (const engine of ['redis', 'keydb', 'valkey'] as const) {
      const info = connectionInfo('cache', engine, { host: '127.0.0.1', port: 25000 }, admin);
      expect(info.uri).toBe('redis://dbco_admin:p%40ss%3Aw%2Frd@127.0.0.1:25000');
      expect(info.database).toBeUndefined();
    }
  });

  it('gives MySQL a mysql:// URI, and brackets IPv6 hosts', () => {
    const info = connectionInfo('orders', 'mysql', { host: '::1', port: 26000 }, admin);
    expect(info.uri).toBe('mysql://dbco_admin:p%40ss%3Aw%2Frd@[::1]:26000/');
    expect(info.host).toBe('::1');
    expect(new URL(info.uri).password).toBe('p%40ss%3Aw%2Frd');
    expect(decodeURIComponent(new URL(info.uri).password)).toBe(admin.adminPassword);
  });
});

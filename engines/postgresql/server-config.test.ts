import { describe, expect, it } from 'vitest';
import type { EngineNode } from '../types';
import { nodeLayout, slotNameFor } from './layout';
import {
  confString,
  DEFAULT_SERVER_SETTINGS,
  renderHbaConf,
  renderPassFile,
  renderPostgresqlConf,
} from './server-config';

const node: EngineNode = {
  name: 'orders2',
  cluster: 'orders',
  engine: 'postgresql',
  version: '15',
  number: 2,
  dataDir: '/srv/nodes/orders2/data',
  host: '127.0.0.1',
  port: 21002,
  credentials: { adminUser: 'admin', adminPassword: 'a', replicationUser: 'repl', replicationPassword: "p'w:x\\y" },
};
const layout = nodeLayout(node.dataDir);

describe('postgresql.conf', () => {
  it('listens only on the node address and port, with replication and rewind support', () => {
    const conf = renderPostgresqlConf(node, layout, { fenced: false }, DEFAULT_SERVER_SETTINGS);
    expect(conf).toContain("listen_addresses = '127.0.0.1'");
    expect(conf).toContain('port = 21002');
    expect(conf).toContain("data_directory = '/srv/nodes/orders2/data/pgdata'");
    expect(conf).toContain('wal_log_hints = on');
    expect(conf).toContain('hot_standby = on');
    expect(conf).not.toContain('primary_conninfo');
    expect(conf).not.toContain('default_transaction_read_only');
  });

  it('points a replica at its primary through a password file, never the password itself', () => {
    const state = {
      fenced: false,
      lineage: 'abc',
      upstream: { host: '127.0.0.1', port: 21001, slot: 'replica_orders2' },
    };
    const conf = renderPostgresqlConf(node, layout, state, DEFAULT_SERVER_SETTINGS);
    expect(conf).toContain("primary_slot_name = 'replica_orders2'");
    expect(conf).toMatch(
      /primary_conninfo = '.*port=21001 .*passfile=''\/srv\/nodes\/orders2\/data\/conf\/replication\.pgpass''/,
    );
    expect(conf).toContain("orchestrator.lineage = 'abc'");
    expect(conf).not.toContain("p'w");
  });

  it('makes a fenced node default to read-only transactions', () => {
    const conf = renderPostgresqlConf(node, layout, { fenced: true }, DEFAULT_SERVER_SETTINGS);
    expect(conf).toContain('default_transaction_read_only = on');
  });

  it('escapes quotes and backslashes in string settings', () => {
    expect(confString("it's a \\path")).toBe("'it''s a \\\\path'");
  });
});

describe('pg_hba.conf', () => {
  it('admits everyone with SCRAM from the client networks while open', () => {
    const hba = renderHbaConf(node, { fenced: false }, DEFAULT_SERVER_SETTINGS);
    expect(hba).toContain('host replication "repl" 127.0.0.0/8 scram-sha-256');
    expect(hba).toContain('host all all 127.0.0.0/8 scram-sha-256');
    expect(hba).not.toMatch(/\btrust\b|\bmd5\b|\bpassword\b/);
  });

  it('admits only the admin user and replication while fenced', () => {
    const hba = renderHbaConf(node, { fenced: true }, DEFAULT_SERVER_SETTINGS);
    expect(hba).toContain('host all "admin" 127.0.0.0/8 scram-sha-256');
    expect(hba).not.toContain('host all all');
  });

  it('refuses user names that would change the meaning of a line', () => {
    const bad = { ...node, credentials: { ...node.credentials, adminUser: 'a b' } };
    expect(() => renderHbaConf(bad, { fenced: false }, DEFAULT_SERVER_SETTINGS)).toThrow(/cannot be used/);
  });
});

describe('small renderings', () => {
  it('escapes colons and backslashes in the password file', () => {
    expect(renderPassFile('127.0.0.1', 5000, 'repl', "p'w:x\\y")).toBe("127.0.0.1:5000:*:repl:p'w\\:x\\\\y\n");
  });

  it('derives valid slot names from node names', () => {
    expect(slotNameFor('orders-2')).toBe('replica_orders_2');
    expect(slotNameFor('X'.repeat(80))).toHaveLength(63);
  });
});

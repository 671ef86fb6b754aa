import { describe, expect, it } from 'vitest';
import type { EngineNode } from '../types';
import { INITIAL_SETTINGS, layoutOf, parseSettings, renderConfig, renderSettings } from './layout';

const node: EngineNode = {
  name: 'orders2',
  cluster: 'orders',
  engine: 'mysql',
  version: '10.11',
  number: 2,
  dataDir: '/var/lib/nodes/orders2/data',
  host: '127.0.0.1',
  port: 41002,
  credentials: { adminUser: 'a', adminPassword: 'pw-a', replicationUser: 'r', replicationPassword: 'pw-r' },
};

describe('node layout and configuration', () => {
  it('keeps everything under the node directory, logs beside the data', () => {
    const layout = layoutOf(node);
    expect(layout.data).toBe('/var/lib/nodes/orders2/data/data');
    expect(layout.binlog).toBe('/var/lib/nodes/orders2/data/binlog');
    expect(layout.socket).toBe('/var/lib/nodes/orders2/data/run/mysqld.sock');
  });

  it('moves the socket to a short path when the directory is too deep for a unix socket', () => {
    const deep = layoutOf({ dataDir: `/tmp/${'very-long-directory-name/'.repeat(5)}data` });
    expect(Buffer.byteLength(deep.socket)).toBeLessThanOrEqual(100);
    expect(deep.socket).toMatch(/mysql-[0-9a-f]{16}\.sock$/);
    expect(layoutOf({ dataDir: deep.root }).socket).toBe(deep.socket);
  });

  it('configures GTID replication with the node number as server id, and no secret', () => {
    const config = renderConfig(node, layoutOf(node));
    expect(config).toContain('server-id = 2');
    expect(config).toContain('port = 41002');
    expect(config).toContain('bind-address = 127.0.0.1');
    expect(config).toContain('binlog-format = ROW');
    expect(config).toContain('log-slave-updates = ON');
    expect(config).toContain('gtid-strict-mode = ON');
    expect(config).toContain('master-info-file = /var/lib/nodes/orders2/data/relay/master.info');
    expect(config).toContain('!include /var/lib/nodes/orders2/data/settings.cnf');
    expect(config).not.toContain('pw-');
  });

  it('round-trips runtime settings; a missing value falls back to the safe default', () => {
    const settings = { readOnly: false, gtidDomainId: 2, autoIncrementIncrement: 2, autoIncrementOffset: 2 };
    expect(parseSettings(renderSettings(settings))).toEqual(settings);
    expect(parseSettings('[mysqld]\n')).toEqual(INITIAL_SETTINGS);
    expect(INITIAL_SETTINGS.readOnly).toBe(true);
  });
});

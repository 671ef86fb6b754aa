import { describe, expect, it } from 'vitest';
import type { EngineNode } from '../types';
import {
  FENCE_MIN_REPLICAS,
  INITIAL_STATE,
  quoteConfigValue,
  renderAclFile,
  renderServerConfig,
  sha256Hex,
  type NodePaths,
} from './config';

const credentials = {
  adminUser: 'orch_admin',
  adminPassword: 'admin "secret" \\ #1',
  replicationUser: 'orch_repl',
  replicationPassword: 'repl pass\n"x"',
};

const node: EngineNode = {
  name: 'cache2',
  cluster: 'cache',
  engine: 'redis',
  version: '7',
  number: 2,
  dataDir: '/srv/nodes/cache 2',
  host: '127.0.0.1',
  port: 41002,
  credentials,
};

const paths: NodePaths = {
  configFile: '/srv/nodes/cache 2/redis.conf',
  aclFile: '/srv/nodes/cache 2/users.acl',
  stateFile: '/srv/nodes/cache 2/state.json',
  dataDir: '/srv/nodes/cache 2/data',
  logFile: '/srv/nodes/cache 2/server.log',
};

/** The directives of a rendered file, comments and blank lines left out. */
function directives(text: string): string[] {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

describe('quoteConfigValue', () => {
  it('escapes quotes, backslashes and control characters', () => {
    expect(quoteConfigValue('plain')).toBe('"plain"');
    expect(quoteConfigValue('a "b" \\ c')).toBe('"a \\"b\\" \\\\ c"');
    expect(quoteConfigValue('line\nbreak\ttab')).toBe('"line\\x0abreak\\x09tab"');
    expect(quoteConfigValue('Kundø 🚀')).toBe('"Kundø 🚀"');
  });
});

describe('renderServerConfig', () => {
  it('renders a primary: node address, AOF persistence, replication credentials, no fence', () => {
    const lines = directives(renderServerConfig(node, INITIAL_STATE, paths, 'redis'));
    expect(lines).toEqual(
      expect.arrayContaining([
        'bind 127.0.0.1',
        'port 41002',
        'dir "/srv/nodes/cache 2/data"',
        'aclfile "/srv/nodes/cache 2/users.acl"',
        'appendonly yes',
        'appendfsync everysec',
        'save ""',
        'masteruser orch_repl',
        'masterauth "repl pass\\x0a\\"x\\""',
        'replica-read-only yes',
        'min-replicas-to-write 0',
      ]),
    );
    expect(lines.some((line) => line.startsWith('replicaof'))).toBe(false);
    // The admin password never reaches the configuration; it lives in the ACL file as a hash.
    expect(lines.join('\n')).not.toContain('admin "secret"');
  });

  it('renders a replica following its primary, and a fenced primary', () => {
    const replica = directives(
      renderServerConfig(
        node,
        { ...INITIAL_STATE, role: 'replica', primary: { host: '127.0.0.1', port: 41001 } },
        paths,
        'redis',
      ),
    );
    expect(replica).toContain('replicaof 127.0.0.1 41001');
    const fenced = directives(renderServerConfig(node, { ...INITIAL_STATE, fenced: true }, paths, 'redis'));
    expect(fenced).toContain(`min-replicas-to-write ${FENCE_MIN_REPLICAS}`);
    const restoring = directives(renderServerConfig(node, { ...INITIAL_STATE, appendonly: false }, paths, 'redis'));
    expect(restoring).toContain('appendonly no');
  });

  it('refuses a replica without a primary', () => {
    expect(() => renderServerConfig(node, { ...INITIAL_STATE, role: 'replica' }, paths, 'redis')).toThrow(
      /without a primary/,
    );
  });

  // KeyDB is not installed here: this is the configuration a KeyDB multi-master pair would run with.
  it('renders KeyDB multi-master: active replica, writable, replicating from its peer', () => {
    const state = { ...INITIAL_STATE, peers: [{ host: '127.0.0.1', port: 41001 }] };
    const lines = directives(renderServerConfig(node, state, paths, 'keydb'));
    expect(lines).toEqual(
      expect.arrayContaining([
        'active-replica yes',
        'multi-master yes',
        'replica-read-only no',
        'replicaof 127.0.0.1 41001',
        'masteruser orch_repl',
      ]),
    );
    expect(lines).not.toContain('replica-read-only yes');
  });

  it('rejects multi-master for redis and valkey', () => {
    const state = { ...INITIAL_STATE, peers: [{ host: '127.0.0.1', port: 41001 }] };
    expect(() => renderServerConfig(node, state, paths, 'redis')).toThrow(/needs KeyDB/);
    expect(() => renderServerConfig(node, state, paths, 'valkey')).toThrow(/needs KeyDB/);
  });
});

describe('renderAclFile', () => {
  it('stores password hashes only and disables the default user', () => {
    const text = renderAclFile(credentials);
    expect(text).toContain(`user orch_admin on #${sha256Hex(credentials.adminPassword)} ~* &* +@all`);
    expect(text).toContain(`user orch_repl on #${sha256Hex(credentials.replicationPassword)}`);
    expect(text).toMatch(/^user orch_repl .* -@all \+psync \+replconf \+ping \+sync$/m);
    expect(text).toMatch(/^user default off /m);
    expect(text).not.toContain(credentials.adminPassword);
    expect(text).not.toContain(credentials.replicationPassword);
  });

  it('keeps the default user when it is the admin, and rejects unusable names', () => {
    expect(renderAclFile({ ...credentials, adminUser: 'default' })).not.toMatch(/^user default off/m);
    expect(() => renderAclFile({ ...credentials, adminUser: 'two words' })).toThrow(/not a valid user name/);
    expect(() => renderAclFile({ ...credentials, replicationUser: 'orch_admin' })).toThrow(/must differ/);
  });
});

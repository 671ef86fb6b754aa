/**
 * What a process on the machine, or a client on the network, can reach of a node: one node of each
 * engine on a provider whose public address is not the engines' (127.0.0.2 stands in for VM_HOST).
 * Engine and front processes carry none of the product's environment; engines listen on loopback
 * only and only the fronts on VM_HOST; a node cut off at its front stays cut off when its engine is
 * SIGKILLed and restarted by the supervisor.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlDriver } from '../../engines/mysql';
import { createPostgresDriver } from '../../engines/postgresql';
import { createRedisDriver } from '../../engines/redis';
import type { EngineCredentials, EngineDriver, EngineName } from '../../engines/types';
import { createTestProvider, provisionTestNode, type TestNode, type TestProvider } from '../../test/local-provider';
import { LocalVmProvider } from './provider';
import { greetingVia, probe, waitUntil } from './test-support';

const VM_HOST = '127.0.0.2';
const LEAK = `product-secret-${process.pid}`;
/** The product's own variables: none may reach an engine or a front. */
const PRODUCT_VARIABLES = ['API_TOKENS', 'CODEC_KEY', 'SMTP_URL', 'TEMPORAL_API_KEY'];

const credentials: EngineCredentials = {
  adminUser: 'dbco_admin',
  adminPassword: `admin-${process.pid}`,
  replicationUser: 'dbco_repl',
  replicationPassword: `repl-${process.pid}`,
  ownerUser: 'owner',
  ownerPassword: `owner-${process.pid}`,
};

let env: TestProvider;
let provider: LocalVmProvider;
const nodes = {} as Record<'postgresql' | 'mysql' | 'redis', TestNode>;
const drivers = {} as Record<'postgresql' | 'mysql' | 'redis', EngineDriver>;
const saved = new Map<string, string | undefined>();

beforeAll(async () => {
  for (const name of PRODUCT_VARIABLES) {
    saved.set(name, process.env[name]);
    process.env[name] = `${LEAK}-${name}`;
  }
  env = await createTestProvider();
  // Same base directory, the provider's public address moved off the engines' loopback one.
  await env.provider.shutdown();
  provider = new LocalVmProvider({ baseDir: env.baseDir, host: VM_HOST, logger: () => undefined });
  drivers.postgresql = createPostgresDriver({ supervisor: provider.supervisor });
  drivers.mysql = createMysqlDriver({ supervisor: provider.supervisor });
  drivers.redis = createRedisDriver({ supervisor: provider.supervisor });
  const versions: Record<string, string> = { postgresql: '15', mysql: '10.11', redis: '7' };
  await Promise.all(
    (['postgresql', 'mysql', 'redis'] as const).map(async (engine, index) => {
      const node = await provisionTestNode(
        { ...env, provider },
        {
          engine: engine satisfies EngineName,
          version: versions[engine]!,
          cluster: 'iso',
          number: index + 1,
          credentials,
        },
      );
      await drivers[engine].initialise(node);
      await drivers[engine].start(node);
      await drivers[engine].configureAsPrimary(node);
      nodes[engine] = node;
    }),
  );
}, 240_000);

afterAll(async () => {
  // The provider in charge last (a second one took over in the last test) stops its processes first.
  await provider?.shutdown();
  await env?.cleanup();
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}, 120_000);

function environmentOf(pid: number): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
}

/** Listening TCP sockets on `port` as `address:port` strings, read from the kernel's table. */
function listeners(port: number): string[] {
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state !== '0A' || !local) continue;
      const [hex, portHex] = local.split(':');
      if (parseInt(portHex!, 16) !== port) continue;
      found.push(`${decodeAddress(hex!)}:${port}`);
    }
  }
  return found.sort();
}

function decodeAddress(hex: string): string {
  if (hex.length === 8) return Buffer.from(hex, 'hex').reverse().join('.');
  if (hex === '00000000000000000000000001000000') return '::1';
  if (hex === '00000000000000000000000000000000') return '::';
  return hex;
}

describe('isolation of nodes on the machine', () => {
  it('starts every engine and front without any of the product environment', async () => {
    const processes = (await provider.processes()).filter((p) => p.running);
    expect(processes.map((p) => p.key).sort()).toEqual(
      expect.arrayContaining(['node/iso1/postgres', 'node/iso2/mariadbd', 'node/iso3/redis-server', 'firewall/iso1']),
    );
    for (const { key, pid } of processes) {
      const environment = environmentOf(pid!);
      for (const name of PRODUCT_VARIABLES) expect(environment.has(name), `${key} has ${name}`).toBe(false);
      expect(
        [...environment.values()].some((value) => value.includes(LEAK)),
        key,
      ).toBe(false);
      expect(
        [...environment.keys()].every((name) => ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ'].includes(name)),
        key,
      ).toBe(true);
    }
  });

  it('keeps every engine on loopback and puts only the fronts on VM_HOST', async () => {
    for (const node of Object.values(nodes)) {
      expect(node.host).toBe('127.0.0.1');
      expect(node.publicHost).toBe(VM_HOST);
      expect(listeners(node.port)).toEqual([`127.0.0.1:${node.port}`]);
      expect(listeners(node.publicPort)).toEqual(expect.arrayContaining([`${VM_HOST}:${node.publicPort}`]));
      expect(listeners(node.publicPort)).not.toContain(`0.0.0.0:${node.publicPort}`);
    }
    // Nothing answers the engine's port on VM_HOST; the front does.
    const redis = nodes.redis;
    await expect(probe(redis.port, { host: VM_HOST })).rejects.toThrow(/ECONNREFUSED/);
    const client = new Redis({
      host: redis.publicHost,
      port: redis.publicPort,
      username: 'owner',
      password: credentials.ownerPassword,
      lazyConnect: true,
    });
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
  });

  it('keeps a node cut off at its front while its engine is SIGKILLed and restarted by the supervisor', async () => {
    const node = nodes.redis;
    const endpoint = await provider.setEndpoint('iso', { host: node.publicHost, port: node.publicPort });
    await provider.setIsolation(node.name, true);
    const engine = async () => (await provider.processes()).find((p) => p.key === `node/${node.name}/redis-server`)!;
    const killed = (await engine()).pid!;
    process.kill(killed, 'SIGKILL');
    await waitUntil(async () => {
      const now = await engine();
      return now.running && now.pid !== killed;
    }, 'the supervisor restarted the engine');
    // The restarted engine takes writes from the product (its own address) …
    await waitUntil(async () => (await drivers.redis.health(node)).up, 'the restarted engine answers');
    // … but no client reaches it: through the node's address or the endpoint, the front admits nobody.
    for (const port of [node.publicPort, endpoint.port]) {
      expect(await greetingVia(port, { host: VM_HOST })).toBeUndefined();
      const client = new Redis({
        host: VM_HOST,
        port,
        username: 'owner',
        password: credentials.ownerPassword,
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
      });
      client.on('error', () => undefined);
      await expect(client.connect().then(() => client.set('after-isolation', '1'))).rejects.toThrow();
      client.disconnect();
    }
    // A new provider (the worker restarted) keeps it cut off.
    await provider.detach();
    const again = new LocalVmProvider({ baseDir: env.baseDir, host: VM_HOST, logger: () => undefined });
    await again.resume();
    expect(await greetingVia(node.publicPort, { host: VM_HOST })).toBeUndefined();
    await again.setIsolation(node.name, false);
    const client = new Redis({
      host: VM_HOST,
      port: node.publicPort,
      username: 'owner',
      password: credentials.ownerPassword,
      lazyConnect: true,
    });
    await client.connect();
    await client.set('reconnected', '1');
    client.disconnect();
    await again.removeEndpoint('iso');
    provider = again;
  });
});

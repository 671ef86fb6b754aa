import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { InvalidAddressError } from '../../engines/errors';
import { createTestProvider, type TestProvider } from '../../test/local-provider';
import { LocalVmProvider } from '.';
import { canBind } from './ports';
import { closed, echo, greetingVia, isAlive, probe, startBackend, type Backend } from './test-support';

describe('cluster endpoint', () => {
  let env: TestProvider;
  let a: Backend;
  let b: Backend;

  beforeAll(async () => {
    env = await createTestProvider();
    a = await startBackend('A');
    b = await startBackend('B');
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await env?.cleanup();
  });

  it('forwards to the current target and switches without changing its port', async () => {
    const endpoint = await env.provider.setEndpoint('orders', { host: '127.0.0.1', port: a.port });
    expect(endpoint.host).toBe('127.0.0.1');
    expect(await greetingVia(endpoint.port)).toBe('A');
    expect(await greetingVia(endpoint.port, { host: '::1' })).toBe('A');

    const toA = await probe(endpoint.port);
    if (!toA.admitted) throw new Error('the endpoint refused a connection');
    expect(await echo(toA.socket, 'hello A')).toBe('hello A');

    const moved = await env.provider.setEndpoint('orders', { host: '127.0.0.1', port: b.port });
    expect(moved).toEqual(endpoint);
    // Clients of the old primary are disconnected so they reconnect to the new one.
    await closed(toA.socket);
    expect(await greetingVia(endpoint.port)).toBe('B');
    expect(await env.provider.getEndpoint('orders')).toEqual(endpoint);
  });

  it('is idempotent: setting the same target keeps connections open', async () => {
    const endpoint = await env.provider.setEndpoint('orders', { host: '127.0.0.1', port: b.port });
    const toB = await probe(endpoint.port);
    if (!toB.admitted) throw new Error('the endpoint refused a connection');
    await env.provider.setEndpoint('orders', { host: '127.0.0.1', port: b.port });
    expect(await echo(toB.socket, 'still here')).toBe('still here');
    toB.socket.destroy();
  });

  it('keeps its port and target across a provider restart', async () => {
    const endpoint = (await env.provider.getEndpoint('orders'))!;
    const again = new LocalVmProvider({ baseDir: env.baseDir, logger: () => {} });
    await again.resume();
    expect(await again.getEndpoint('orders')).toEqual(endpoint);
    expect(await greetingVia(endpoint.port)).toBe('B');
    // The original instance stays in charge for the rest of the suite.
    await again.detach();
  });

  it("in front of a node, enforces that node's allowlist for the real client addresses", async () => {
    const node = await env.provider.provision({
      cluster: 'guarded',
      node: 'guarded1',
      plan: { cpu: 1, ramMb: 128, diskGb: 1 },
      allowlist: [],
    });
    const engine = await startBackend('engine', node.privatePort, node.host);
    try {
      const endpoint = await env.provider.setEndpoint('guarded', { host: node.publicHost, port: node.publicPort });
      expect(await greetingVia(endpoint.port, { localAddress: '127.0.0.2' })).toBe('engine');
      const open = await probe(endpoint.port, { localAddress: '127.0.0.2' });
      if (!open.admitted) throw new Error('the endpoint refused a connection');

      await env.provider.setAllowlist('guarded1', ['127.0.0.3']);
      await closed(open.socket);
      expect(await greetingVia(endpoint.port, { localAddress: '127.0.0.2' })).toBeUndefined();
      expect(await greetingVia(endpoint.port, { localAddress: '127.0.0.3' })).toBe('engine');
    } finally {
      await env.provider.removeEndpoint('guarded');
      await engine.close();
      await env.provider.deprovision('guarded1');
    }
  });

  it('rejects a malformed target', async () => {
    await expect(env.provider.setEndpoint('orders', { host: '', port: a.port })).rejects.toThrow(InvalidAddressError);
    await expect(env.provider.setEndpoint('orders', { host: '127.0.0.1', port: 70000 })).rejects.toThrow(
      InvalidAddressError,
    );
  });

  it('is removed with its process and port', async () => {
    const endpoint = (await env.provider.getEndpoint('orders'))!;
    const pid = (await env.provider.processes()).find((p) => p.key === 'endpoint/orders')!.pid!;
    await env.provider.removeEndpoint('orders');
    expect(isAlive(pid)).toBe(false);
    expect(await env.provider.getEndpoint('orders')).toBeUndefined();
    expect(await canBind('127.0.0.1', endpoint.port)).toBe(true);
    await env.provider.removeEndpoint('orders');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { InvalidAddressError } from '../../engines/errors';
import { createTestProvider, type TestProvider } from '../../test/local-provider';
import type { ProvisionedNode } from '../types';
import { hasIpv6Loopback } from './ports';
import { closed, echo, greetingVia, probe, startBackend, waitUntil, type Backend } from './test-support';

describe('node firewall', () => {
  let env: TestProvider;
  let node: ProvisionedNode;
  let backend: Backend;

  beforeAll(async () => {
    env = await createTestProvider();
    node = await env.provider.provision({ cluster: 'fw', node: 'fw1', plan: { cpu: 1, ramMb: 128, diskGb: 1 } });
    backend = await startBackend('backend', node.privatePort, node.host);
  });

  it('admits nobody until a node provisioned without an allowlist is given one', async () => {
    expect(await from('127.0.0.2')).toBeUndefined();
    expect(backend.accepted()).toBe(0);
    await env.provider.setAllowlist('fw1', []);
  });

  afterAll(async () => {
    await backend?.close();
    await env?.cleanup();
  });

  const from = (localAddress: string) => greetingVia(node.publicPort, { localAddress });

  it('forwards everyone while the allowlist is empty', async () => {
    expect(await from('127.0.0.2')).toBe('backend');
    expect(await from('127.0.0.5')).toBe('backend');
    expect(await greetingVia(node.publicPort, { host: '::1' })).toBe('backend');
  });

  it('refuses sources outside the allowlist without any byte from the backend', async () => {
    await env.provider.setAllowlist('fw1', ['127.0.0.3/32']);
    const before = backend.accepted();
    expect(await probe(node.publicPort, { localAddress: '127.0.0.2' })).toEqual({ admitted: false });
    expect(backend.accepted()).toBe(before);
    expect(await from('127.0.0.3')).toBe('backend');
  });

  it('admits a source once it or a covering range is added, without restarting the front', async () => {
    const [firewallBefore] = (await env.provider.processes()).filter((p) => p.key === 'firewall/fw1');
    await env.provider.setAllowlist('fw1', ['127.0.0.3/32', '127.0.0.2']);
    expect(await from('127.0.0.2')).toBe('backend');
    await env.provider.setAllowlist('fw1', ['127.0.0.0/30']);
    expect(await from('127.0.0.2')).toBe('backend');
    expect(await from('127.0.0.4')).toBeUndefined();
    const [firewallAfter] = (await env.provider.processes()).filter((p) => p.key === 'firewall/fw1');
    expect(firewallAfter.pid).toBe(firewallBefore.pid);
  });

  it('closes existing connections that are no longer allowed and keeps the others', async () => {
    await env.provider.setAllowlist('fw1', ['127.0.0.2', '127.0.0.3']);
    const dropped = await probe(node.publicPort, { localAddress: '127.0.0.2' });
    const kept = await probe(node.publicPort, { localAddress: '127.0.0.3' });
    if (!dropped.admitted || !kept.admitted) throw new Error('both connections should have been admitted');
    expect(await echo(kept.socket, 'before')).toBe('before');

    await env.provider.setAllowlist('fw1', ['127.0.0.3']);
    await closed(dropped.socket);
    expect(await echo(kept.socket, 'after')).toBe('after');
    kept.socket.destroy();
  });

  it('admits IPv6 loopback with ::1/128 and refuses it with an IPv4-only list', async (context) => {
    if (!(await hasIpv6Loopback())) context.skip();
    await env.provider.setAllowlist('fw1', ['::1/128']);
    expect(await greetingVia(node.publicPort, { host: '::1' })).toBe('backend');
    expect(await from('127.0.0.2')).toBeUndefined();

    await env.provider.setAllowlist('fw1', ['127.0.0.0/8']);
    expect(await greetingVia(node.publicPort, { host: '::1' })).toBeUndefined();
    expect(await from('127.0.0.2')).toBe('backend');
  });

  it('rejects a malformed allowlist naming the entry and keeps the current one', async () => {
    await env.provider.setAllowlist('fw1', ['127.0.0.3']);
    await expect(env.provider.setAllowlist('fw1', ['127.0.0.2', '10.0.0.300'])).rejects.toThrow(
      new InvalidAddressError('"10.0.0.300" is not a valid IPv4 address (300 is greater than 255)'),
    );
    await expect(env.provider.setAllowlist('fw1', ['10.0.0.0/33'])).rejects.toThrow(/"10\.0\.0\.0\/33"/);
    expect(await env.provider.getAllowlist('fw1')).toEqual(['127.0.0.3/32']);
    expect(await from('127.0.0.2')).toBeUndefined();
  });

  it('keeps enforcing the allowlist after its front crashes and is restarted', async () => {
    await env.provider.setAllowlist('fw1', ['127.0.0.3']);
    const firewall = async () => (await env.provider.processes()).find((p) => p.key === 'firewall/fw1')!;
    const crashed = (await firewall()).pid!;
    process.kill(crashed, 'SIGKILL');
    await waitUntil(async () => {
      const now = await firewall();
      return now.running && now.pid !== crashed;
    }, 'the firewall is restarted');
    await waitUntil(async () => (await from('127.0.0.3')) === 'backend', 'the restarted firewall forwards');
    expect(await from('127.0.0.2')).toBeUndefined();
  });

  it('starts a new node with the allowlist it was provisioned with, never open', async () => {
    const guarded = await env.provider.provision({
      cluster: 'fw',
      node: 'fw2',
      plan: { cpu: 1, ramMb: 128, diskGb: 1 },
      allowlist: ['127.0.0.3'],
    });
    const engine = await startBackend('fw2', guarded.privatePort, guarded.host);
    try {
      expect(await env.provider.getAllowlist('fw2')).toEqual(['127.0.0.3/32']);
      expect(await greetingVia(guarded.publicPort, { localAddress: '127.0.0.2' })).toBeUndefined();
      expect(await greetingVia(guarded.publicPort, { localAddress: '127.0.0.3' })).toBe('fw2');
      expect(engine.accepted()).toBe(1);
    } finally {
      await engine.close();
      await env.provider.deprovision('fw2');
    }
  });

  it('keeps the engine on loopback and only the firewall on the public address', () => {
    expect(node.host).toBe('127.0.0.1');
    expect(node.publicHost).toBe('127.0.0.1');
  });

  it('cuts a node off from every client, closing open connections, until the isolation is lifted', async () => {
    await env.provider.setAllowlist('fw1', []);
    const open = await probe(node.publicPort, { localAddress: '127.0.0.2' });
    if (!open.admitted) throw new Error('the firewall refused a connection before the isolation');
    await env.provider.setIsolation('fw1', true);
    await closed(open.socket);
    expect(await from('127.0.0.2')).toBeUndefined();
    // The allowlist can change meanwhile; the node stays cut off.
    await env.provider.setAllowlist('fw1', ['127.0.0.2']);
    expect(await from('127.0.0.2')).toBeUndefined();
    await env.provider.setIsolation('fw1', false);
    expect(await from('127.0.0.2')).toBe('backend');
    expect(await from('127.0.0.3')).toBeUndefined();
  });

  it('stays cut off when its firewall is killed and restarted by the supervisor', async () => {
    await env.provider.setAllowlist('fw1', []);
    await env.provider.setIsolation('fw1', true);
    const firewall = async () => (await env.provider.processes()).find((p) => p.key === 'firewall/fw1')!;
    const crashed = (await firewall()).pid!;
    process.kill(crashed, 'SIGKILL');
    await waitUntil(async () => {
      const now = await firewall();
      return now.running && now.pid !== crashed;
    }, 'the firewall is restarted');
    // Refused connections until the restarted front listens (a probe throws), then refused by it.
    const before = backend.accepted();
    await waitUntil(async () => (await from('127.0.0.2')) === undefined, 'the restarted firewall refuses');
    expect(backend.accepted()).toBe(before);
    await env.provider.setIsolation('fw1', false);
    expect(await from('127.0.0.2')).toBe('backend');
  });

  it('opens to everyone again with an empty list', async () => {
    await env.provider.setAllowlist('fw1', []);
    expect(await from('127.0.0.2')).toBe('backend');
    expect(await from('127.0.0.9')).toBe('backend');
  });
});

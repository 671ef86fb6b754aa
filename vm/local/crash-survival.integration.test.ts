import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { EndpointAddress, ProvisionedNode } from '../types';
import { LocalVmProvider, reapAll, resolveNodeEntry, type RecordedProcess } from '.';
import { greetingVia, isAlive, waitUntil } from './test-support';

interface HostReport {
  node: ProvisionedNode;
  endpoint: EndpointAddress;
  processes: RecordedProcess[];
}

describe('crash survival', () => {
  let baseDir: string;
  let host: ChildProcess | undefined;
  let provider: LocalVmProvider | undefined;

  beforeAll(async () => {
    baseDir = await fs.mkdtemp(join(tmpdir(), 'dbcluster-vm-crash-'));
  });

  afterAll(async () => {
    host?.kill('SIGKILL');
    await provider?.shutdown();
    await reapAll(baseDir);
    await fs.rm(baseDir, { recursive: true, force: true });
  });

  /** Runs the fixture worker until it reports what it started. */
  async function startHost(): Promise<HostReport> {
    const entry = resolveNodeEntry('vm/local/fixtures/crash-host', [baseDir]);
    host = spawn(entry.command, entry.args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(host, 'exit').then(([code]) => {
      throw new Error(`crash host exited with ${code} before reporting`);
    });
    const [line] = await Promise.race([once(createInterface({ input: host.stdout! }), 'line'), exited]);
    return JSON.parse(line as string) as HostReport;
  }

  const pidOf = (processes: RecordedProcess[], key: string) => processes.find((p) => p.key === key)?.pid;

  it('adopts the processes that survived the worker, restarts dead ones and keeps forwarding', async () => {
    const report = await startHost();
    const before = (key: string) => pidOf(report.processes, key) as number;
    expect(await greetingVia(report.node.publicPort)).toBe('engine');

    host!.kill('SIGKILL');
    await once(host!, 'exit');
    for (const key of ['node/crash1/engine', 'node/crash1/sleeper', 'firewall/crash1', 'endpoint/crash']) {
      expect(isAlive(before(key)), `${key} outlives the worker`).toBe(true);
    }
    // Forwarding does not need the worker.
    expect(await greetingVia(report.endpoint.port)).toBe('engine');

    // One process dies while nothing supervises it.
    process.kill(before('node/crash1/sleeper'), 'SIGKILL');
    await waitUntil(() => !isAlive(before('node/crash1/sleeper')), 'the sleeper is dead');

    const logged: string[] = [];
    provider = new LocalVmProvider({ baseDir, logger: (message) => logged.push(message) });
    await provider.resume();
    const resumed = await provider.processes();
    for (const key of ['node/crash1/engine', 'firewall/crash1', 'endpoint/crash']) {
      expect(pidOf(resumed, key), `${key} is adopted`).toBe(before(key));
    }
    const sleeper = resumed.find((p) => p.key === 'node/crash1/sleeper')!;
    expect(sleeper.pid).not.toBe(before('node/crash1/sleeper'));
    expect(sleeper.running).toBe(true);
    expect(resumed.every((p) => p.running)).toBe(true);

    expect(await provider.describe('crash1')).toEqual(report.node);
    expect(await provider.getEndpoint('crash')).toEqual(report.endpoint);
    expect(await greetingVia(report.node.publicPort)).toBe('engine');
    expect(await greetingVia(report.endpoint.port)).toBe('engine');

    // While the new provider lives, a process that dies is restarted.
    process.kill(before('node/crash1/engine'), 'SIGKILL');
    await waitUntil(async () => {
      const engine = (await provider!.processes()).find((p) => p.key === 'node/crash1/engine')!;
      return engine.running && engine.pid !== before('node/crash1/engine');
    }, 'the engine is restarted');
    expect(logged).toContain('supervised process died unexpectedly; restarting');
    await waitUntil(
      async () => (await greetingVia(report.node.publicPort)) === 'engine',
      'the restarted engine answers through the firewall',
    );

    await provider.shutdown();
    const all = await provider.processes();
    expect(all.filter((p) => p.pid !== undefined && isAlive(p.pid))).toEqual([]);
  });
});

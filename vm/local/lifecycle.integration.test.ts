import { existsSync, promises as fs, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestProvider, type TestProvider } from '../../test/local-provider';
import { DirectoryNotReachableError, InvalidNameError, PortsExhaustedError, UnknownNodeError } from '../errors';
import { chownForProcess, LocalVmProvider, reapAll } from '.';
import { canBind } from './ports';
import { isAlive } from './test-support';

const plan = { cpu: 1, ramMb: 128, diskGb: 1 };
const sleeper = (dir: string) => ({ command: 'sleep', args: ['100000'], logFile: join(dir, 'sleep.log') });
const isRoot = process.getuid?.() === 0;

describe('local provider lifecycle', () => {
  let env: TestProvider;

  beforeAll(async () => {
    env = await createTestProvider();
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  async function pids(provider = env.provider): Promise<number[]> {
    return (await provider.processes()).map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
  }

  it('provisions idempotently: same ports back, node dir and firewall in place', async () => {
    const first = await env.provider.provision({ cluster: 'life', node: 'life1', plan });
    const again = await env.provider.provision({ cluster: 'life', node: 'life1', plan });
    expect(again).toEqual(first);
    expect(first.dataDir).toBe(join(env.baseDir, 'nodes', 'life1', 'data'));
    expect(existsSync(first.dataDir)).toBe(true);
    expect(first.privatePort).not.toBe(first.publicPort);
    for (const port of [first.privatePort, first.publicPort]) {
      expect(port).toBeGreaterThanOrEqual(21000);
      expect(port).toBeLessThanOrEqual(28999);
    }
    expect(await env.provider.describe('life1')).toEqual(first);
    expect(await env.provider.describe('nobody')).toBeUndefined();
    await expect(env.provider.provision({ cluster: 'other', node: 'life1', plan })).rejects.toThrow(InvalidNameError);
  });

  it('starts, reports and stops node processes; a stopped process stays stopped', async () => {
    const node = (await env.provider.describe('life1'))!;
    await env.provider.supervisor.start('life1', 'sleep', sleeper(node.dataDir));
    expect(await env.provider.supervisor.isRunning('life1', 'sleep')).toBe(true);
    const [pid] = (await env.provider.processes()).filter((p) => p.key === 'node/life1/sleep').map((p) => p.pid);
    // Starting again adopts the running process.
    await env.provider.supervisor.start('life1', 'sleep', sleeper(node.dataDir));
    expect((await env.provider.processes()).find((p) => p.key === 'node/life1/sleep')?.pid).toBe(pid);
    expect(readFileSync(join(node.dataDir, '..', 'run', 'sleep.pid'), 'utf8').split('\n')[0]).toBe(String(pid));

    await env.provider.supervisor.stop('life1', 'sleep', 2_000);
    expect(isAlive(pid!)).toBe(false);
    expect(await env.provider.supervisor.isRunning('life1', 'sleep')).toBe(false);
    expect((await env.provider.processes()).some((p) => p.key === 'node/life1/sleep')).toBe(false);
    await env.provider.supervisor.stop('life1', 'sleep');
  });

  it('SIGKILLs a process that ignores its stop signal after the grace period', async () => {
    const node = (await env.provider.describe('life1'))!;
    const stubborn = `process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('ready');`;
    const logFile = join(node.dataDir, 'stubborn.log');
    await env.provider.supervisor.start('life1', 'stubborn', {
      command: process.execPath,
      args: ['-e', stubborn],
      logFile,
    });
    const pid = (await env.provider.processes()).find((p) => p.key === 'node/life1/stubborn')!.pid!;
    // Wait until the handler is installed, so the test really covers an ignored SIGTERM.
    while (!readFileSync(logFile, 'utf8').includes('ready')) await new Promise((resolve) => setTimeout(resolve, 25));
    await env.provider.supervisor.stop('life1', 'stubborn', 200);
    expect(isAlive(pid)).toBe(false);
  });

  it.runIf(isRoot)('runs processes as runAsUser when root and gives it its log file', async () => {
    const node = (await env.provider.describe('life1'))!;
    const dir = join(node.dataDir, 'pg');
    await fs.mkdir(dir);
    await chownForProcess(dir, 'postgres');
    const postgresUid = (await fs.stat(dir)).uid;
    expect(postgresUid).not.toBe(0);

    await env.provider.supervisor.start('life1', 'as-postgres', { ...sleeper(dir), runAsUser: 'postgres' });
    const pid = (await env.provider.processes()).find((p) => p.key === 'node/life1/as-postgres')!.pid!;
    const uidLine = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)!;
    expect(Number(uidLine[1])).toBe(postgresUid);
    expect((await fs.stat(join(dir, 'sleep.log'))).uid).toBe(postgresUid);
    await env.provider.supervisor.stop('life1', 'as-postgres');
  });

  it.runIf(isRoot)('says when runAsUser cannot reach a directory', async () => {
    const node = (await env.provider.describe('life1'))!;
    const hidden = join(node.dataDir, 'private');
    await fs.mkdir(join(hidden, 'pg'), { recursive: true, mode: 0o700 });
    await fs.chmod(hidden, 0o700);
    await expect(chownForProcess(join(hidden, 'pg'), 'postgres')).rejects.toThrow(
      new DirectoryNotReachableError(
        `user "postgres" cannot traverse ${hidden} (mode 700); make it traversable (chmod o+x) or use a base directory outside it`,
      ),
    );
  });

  it('refuses processes for unknown nodes and bad names', async () => {
    await expect(env.provider.supervisor.start('ghost', 'x', sleeper(tmpdir()))).rejects.toThrow(UnknownNodeError);
    await expect(env.provider.supervisor.start('life1', '../x', sleeper(tmpdir()))).rejects.toThrow(InvalidNameError);
    await expect(env.provider.provision({ cluster: 'life', node: 'a/b', plan })).rejects.toThrow(InvalidNameError);
    await expect(env.provider.setAllowlist('ghost', [])).rejects.toThrow(UnknownNodeError);
    await expect(env.provider.freeDiskBytes('ghost')).rejects.toThrow(UnknownNodeError);
  });

  it('reports free disk space', async () => {
    expect(await env.provider.freeDiskBytes('life1')).toBeGreaterThan(0);
    expect(await env.provider.freeDiskBytes()).toBeGreaterThan(0);
  });

  it('deprovision leaves nothing behind and is idempotent', async () => {
    const node = (await env.provider.describe('life1'))!;
    await env.provider.supervisor.start('life1', 'sleep', sleeper(node.dataDir));
    const before = await pids();
    expect(before.length).toBeGreaterThanOrEqual(2);

    await env.provider.deprovision('life1');
    expect(existsSync(join(env.baseDir, 'nodes', 'life1'))).toBe(false);
    expect(before.filter(isAlive)).toEqual([]);
    expect(await canBind('127.0.0.1', node.privatePort)).toBe(true);
    expect(await canBind('127.0.0.1', node.publicPort)).toBe(true);
    expect(await env.provider.describe('life1')).toBeUndefined();
    expect(await env.provider.processes()).toEqual([]);

    await env.provider.deprovision('life1');
    await env.provider.deprovision('never-existed');
  });

  it('shutdown stops everything; a later provider restarts it; reapAll kills it without a provider', async () => {
    for (const name of ['life2', 'life3']) {
      const node = await env.provider.provision({ cluster: 'life', node: name, plan });
      await env.provider.supervisor.start(name, 'sleep', sleeper(node.dataDir));
    }
    await env.provider.setEndpoint('life', {
      host: '127.0.0.1',
      port: (await env.provider.describe('life2'))!.publicPort,
    });
    const running = await pids();
    expect(running).toHaveLength(5);

    await env.provider.shutdown();
    expect(running.filter(isAlive)).toEqual([]);

    const next = new LocalVmProvider({ baseDir: env.baseDir, logger: () => {} });
    await next.resume();
    const restarted = await pids(next);
    expect(restarted).toHaveLength(5);
    expect(restarted.filter(isAlive)).toHaveLength(5);
    await next.detach();

    expect(await reapAll(env.baseDir)).toBe(5);
    expect(restarted.filter(isAlive)).toEqual([]);
    expect(await reapAll(env.baseDir)).toBe(0);
  });
});

describe('port allocation', () => {
  it('skips ports in use, never hands a port out twice and says when the range is exhausted', async () => {
    // Find three consecutive ports: the first held by someone else, the other two free.
    const holder = createServer();
    let low = 0;
    for (let attempt = 0; attempt < 20 && low === 0; attempt++) {
      await new Promise<void>((resolve) => holder.listen({ port: 0, host: '127.0.0.1' }, resolve));
      const port = (holder.address() as { port: number }).port;
      if (port < 65000 && (await canBind('127.0.0.1', port + 1)) && (await canBind('127.0.0.1', port + 2))) low = port;
      else await new Promise((resolve) => holder.close(resolve));
    }
    expect(low, 'three consecutive ports to test with').not.toBe(0);
    const baseDir = await fs.mkdtemp(join(tmpdir(), 'dbcluster-vm-ports-'));
    const provider = new LocalVmProvider({ baseDir, portRange: [low, low + 2], logger: () => {} });
    try {
      const node = await provider.provision({ cluster: 'ports', node: 'ports1', plan });
      expect([node.privatePort, node.publicPort].sort((x, y) => x - y)).toEqual([low + 1, low + 2]);
      await expect(provider.provision({ cluster: 'ports', node: 'ports2', plan })).rejects.toThrow(PortsExhaustedError);
      await provider.deprovision('ports1');
      await new Promise((resolve) => holder.close(resolve));
      const reused = await provider.provision({ cluster: 'ports', node: 'ports2', plan });
      expect(reused.publicPort).toBeGreaterThanOrEqual(low);
    } finally {
      await provider.shutdown();
      await reapAll(baseDir);
      await fs.rm(baseDir, { recursive: true, force: true });
      if (holder.listening) await new Promise((resolve) => holder.close(resolve));
    }
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { LocalVmProvider, reapAll } from '.';
import { bootId, identify } from './proc';
import { emptyState, stateFilePath, type ProviderState } from './state-store';
import { isAlive } from './test-support';

/** A recycled pid must never be adopted, nor signalled: it belongs to somebody else now. */
describe('adoption after a crash', () => {
  let baseDir: string;
  let provider: LocalVmProvider | undefined;
  let bystander: ChildProcess;

  beforeEach(async () => {
    baseDir = await fs.mkdtemp(join(tmpdir(), 'dbcluster-vm-adopt-'));
    // An unrelated process that happens to hold a pid the state file records.
    bystander = spawn('sleep', ['100000'], { stdio: 'ignore' });
    await once(bystander, 'spawn');
  });

  afterEach(async () => {
    await provider?.shutdown();
    await reapAll(baseDir);
    bystander.kill('SIGKILL');
    await fs.rm(baseDir, { recursive: true, force: true });
  });

  async function resumeWith(record: ProviderState['processes'][string]): Promise<number | undefined> {
    const state = emptyState();
    state.processes['node/ghost/tail'] = record;
    await fs.writeFile(stateFilePath(baseDir), JSON.stringify(state));
    provider = new LocalVmProvider({ baseDir, logger: () => {} });
    await provider.resume();
    return (await provider.processes()).find((p) => p.key === 'node/ghost/tail')?.pid;
  }

  const tail = () => ({
    command: 'tail',
    args: ['-f', '/dev/null'],
    logFile: join(baseDir, 'tail.log'),
  });

  it('does not adopt a pid whose start time differs from the recorded one', async () => {
    const pid = await resumeWith({
      spec: tail(),
      pidFile: join(baseDir, 'tail.pid'),
      identity: { pid: bystander.pid!, startTime: '1', bootId: bootId() },
    });
    expect(pid).not.toBe(bystander.pid);
    expect(isAlive(pid!)).toBe(true);
    expect(isAlive(bystander.pid!)).toBe(true);
  });

  it('does not adopt a pid whose command line is not the recorded command', async () => {
    const pid = await resumeWith({
      spec: tail(),
      pidFile: join(baseDir, 'tail.pid'),
      identity: identify(bystander.pid!)!,
    });
    expect(pid).not.toBe(bystander.pid);
    expect(isAlive(pid!)).toBe(true);
    expect(isAlive(bystander.pid!)).toBe(true);
  });

  it('adopts a pid whose start time and command match', async () => {
    const pid = await resumeWith({
      spec: { command: 'sleep', args: ['100000'], logFile: join(baseDir, 'sleep.log') },
      pidFile: join(baseDir, 'sleep.pid'),
      identity: identify(bystander.pid!)!,
    });
    expect(pid).toBe(bystander.pid);
  });
});

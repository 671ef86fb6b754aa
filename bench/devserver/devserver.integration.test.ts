/** The benchmark's process plumbing against the real devserver executable (no workers, no load). */
import { Client, Connection } from '@temporalio/client';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup } from './cleanup';
import { measureStartup, startDevserver } from './devserver';
import { measureRecovery } from './recovery';

describe('devserver processes', () => {
  let cleanup: Cleanup;
  afterEach(() => cleanup.release());

  it('measures startup: the port accepts before the first RPC is answered, and the process is gone after', async () => {
    cleanup = new Cleanup();
    let pid: number | undefined;
    const startup = await measureStartup((child) => {
      pid = child.pid;
      cleanup.track(child);
    }, false);
    expect(startup.listeningMs).toBeGreaterThan(0);
    expect(startup.firstRpcMs).toBeGreaterThanOrEqual(startup.listeningMs);
    expect(() => process.kill(pid!, 0)).toThrow(); // no such process any more
  });

  it('reads the recovery report of a journal, after a crash', async () => {
    cleanup = new Cleanup();
    const journal = path.join(cleanup.tempDir('devserver-bench-test-'), 'runs.journal');
    const server = await startDevserver({ dbFilename: journal, track: cleanup.track, rebuild: false });
    const connection = await Connection.connect({ address: server.address });
    try {
      const client = new Client({ connection });
      // No worker: the run stays open, and its start is on disk once the call returns.
      await client.workflow.start('oneActivity', { taskQueue: 'nobody-polls', workflowId: 'open-run', args: ['x'] });
    } finally {
      await connection.close();
    }
    await server.stop('SIGKILL');

    const recovery = await measureRecovery(journal, cleanup.track, false);
    expect(recovery).toMatchObject({ runs: 1, openRuns: 1 });
    expect(recovery.events).toBeGreaterThanOrEqual(2); // started + workflow task scheduled
    expect(recovery.durationMs).toBeGreaterThanOrEqual(0);
    expect(recovery.fileBytes).toBeGreaterThan(0);
  });

  it('release() kills tracked processes and removes temporary directories', async () => {
    cleanup = new Cleanup();
    const dir = cleanup.tempDir('devserver-bench-test-');
    const server = await startDevserver({ track: cleanup.track, rebuild: false });
    cleanup.release();
    await expect(server.died).rejects.toThrow(/died during the run \(SIGKILL\)/);
    expect(existsSync(dir)).toBe(false);
  });
});

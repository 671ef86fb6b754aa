/** The executable: both argument forms accept connections, and SIGTERM/SIGINT stop it cleanly. */
import { Connection } from '@temporalio/client';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DEVSERVER_PATH } from '../../test/temporal-env';
import { freePort, startDevserver, waitForPort } from './fixtures/devserver-process';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('devserver executable', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('answers gRPC and exits 0 on %s', async (signal) => {
    const server = await startDevserver(await freePort());
    const connection = await Connection.connect({ address: server.address });
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toBeTruthy();
    await connection.close();
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
    await server.kill(signal);
    expect(await exited).toBe(0);
  });

  it('in test-server form, stops when the process that started it is killed outright', async () => {
    const port = await freePort();
    // A parent that starts the server, says its pid, and is then SIGKILLed (never stops its child).
    const parent = spawn(
      'bash',
      ['-c', `"${process.execPath}" "${DEVSERVER_PATH}" ${port} 2>/dev/null & echo $!; wait`],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    const [firstLine] = (await once(parent.stdout!, 'data')) as [Buffer];
    const serverPid = Number(firstLine.toString().trim());
    try {
      await waitForPort(port);
      const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      parent.kill('SIGKILL');
      // A guard against a hang, not an expectation of how soon: the server looks every second.
      for (let i = 0; i < 300 && alive(serverPid); i++) await sleep(100);
      expect(alive(serverPid)).toBe(false);
    } finally {
      if (alive(serverPid)) process.kill(serverPid, 'SIGKILL');
    }
  });
});

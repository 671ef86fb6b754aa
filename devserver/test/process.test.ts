/** The executable: both argument forms accept connections, and SIGTERM/SIGINT stop it cleanly. */
import { Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { freePort, startDevserver } from './fixtures/devserver-process';

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
});

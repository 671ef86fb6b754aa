import { describe, expect, it } from 'vitest';
import net from 'node:net';
import { BadCredentialsError, NodeNotReadyError, SourceUnreachableError } from '../errors';
import { classifyConnectError, withClient } from './sql';

const target = { host: '10.0.0.9', port: 5433, user: 'migrator', password: 'hunter2-secret' };

describe('connection failures', () => {
  it('turns a refused password into BadCredentialsError naming the user only', () => {
    const err = Object.assign(new Error('password authentication failed for user "migrator"'), { code: '28P01' });
    const mapped = classifyConnectError(err, target, 5000) as Error;
    expect(mapped).toBeInstanceOf(BadCredentialsError);
    expect(mapped.message).toContain('"migrator"');
    expect(mapped.message).not.toContain('hunter2-secret');
  });

  it('turns refused and timed-out connections into SourceUnreachableError naming host:port', () => {
    for (const err of [
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:5433'), { code: 'ECONNREFUSED' }),
      new Error('Connection terminated due to connection timeout'),
    ]) {
      const mapped = classifyConnectError(err, target, 5000) as Error;
      expect(mapped).toBeInstanceOf(SourceUnreachableError);
      expect(mapped.message).toContain('10.0.0.9:5433 within 5000 ms');
    }
  });

  it('passes other errors through', () => {
    const err = Object.assign(new Error('too many connections'), { code: '53300' });
    expect(classifyConnectError(err, target, 5000)).toBe(err);
  });
});

describe('sessions to cluster nodes', () => {
  it('reports a node that does not answer as NodeNotReadyError naming its address', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as net.AddressInfo;
        server.close(() => resolve(free));
      });
    });
    const attempt = withClient({ ...target, host: '127.0.0.1', port }, (client) => client.query('select 1'));
    await expect(attempt).rejects.toBeInstanceOf(NodeNotReadyError);
    await expect(attempt).rejects.toThrow(`127.0.0.1:${port} is not accepting sessions`);
  });
});

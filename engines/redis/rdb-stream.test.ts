/**
 * The snapshot receiver against a scripted server speaking the replication handshake, so that both
 * payload framings and the awkward chunk boundaries can be exercised without a real server.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisConnectFailure } from './client';
import { openRdbSnapshot } from './rdb-stream';

type Script = (command: string[], socket: Socket) => void;

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** Parses RESP arrays of bulk strings (no CRLF inside values) and hands each command to the script. */
async function scriptedServer(script: Script): Promise<number> {
  const server = createServer((socket) => {
    sockets.push(socket);
    let pending = '';
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      while (true) {
        const lines = pending.split('\r\n');
        const count = Number(lines[0]?.slice(1));
        if (!lines[0]?.startsWith('*') || lines.length < 1 + count * 2 + 1) return;
        const args = Array.from({ length: count }, (_, index) => lines[2 + index * 2]);
        pending = lines.slice(1 + count * 2).join('\r\n');
        script(args, socket);
      }
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

/** Answers the handshake, then calls `send` after PSYNC. */
function handshake(send: (socket: Socket) => void, password = 'pw'): Script {
  return (args, socket) => {
    const [name] = args;
    if (name === 'AUTH')
      socket.write(args.at(-1) === password ? '+OK\r\n' : '-WRONGPASS invalid username-password pair\r\n');
    else if (name === 'REPLCONF' && args[1] === 'rdb-only') socket.write('-ERR Unrecognized REPLCONF option\r\n');
    else if (name === 'REPLCONF') socket.write('+OK\r\n');
    else if (name === 'PSYNC') {
      socket.write('+FULLRESYNC 0123456789abcdef0123456789abcdef01234567 4711\r\n');
      send(socket);
    }
  };
}

const target = (port: number, password = 'pw') => ({ host: '127.0.0.1', port, username: 'repl', password });
const options = { connectTimeoutMs: 2000, idleTimeoutMs: 2000 };

describe('openRdbSnapshot', () => {
  it('receives a length-prefixed snapshot and stops at its last byte', async () => {
    const rdb = randomBytes(10_000);
    const port = await scriptedServer(
      handshake((socket) => {
        socket.write('\n\n');
        socket.write(`$${rdb.length}\r\n`);
        socket.write(rdb.subarray(0, 3));
        // The command stream that follows the snapshot must not end up in it.
        socket.write(Buffer.concat([rdb.subarray(3), Buffer.from('*1\r\n$4\r\nPING\r\n')]));
      }),
    );
    const snapshot = await openRdbSnapshot(target(port), options);
    expect(snapshot).toMatchObject({ replicationId: '0123456789abcdef0123456789abcdef01234567', offset: 4711 });
    expect((await buffer(snapshot.stream)).equals(rdb)).toBe(true);
  });

  it('receives a diskless snapshot delimited by its end mark, even when the mark arrives in pieces', async () => {
    const rdb = randomBytes(5000);
    const mark = randomBytes(20).toString('hex');
    const port = await scriptedServer(
      handshake((socket) => {
        const whole = Buffer.concat([Buffer.from(`$EOF:${mark}\r\n`), rdb, Buffer.from(mark)]);
        // Send in uneven pieces, the last ones a byte at a time, across the mark's boundary.
        let at = 0;
        for (const size of [7, 1000, 3990, 30]) {
          socket.write(whole.subarray(at, at + size));
          at += size;
        }
        const tail = whole.subarray(at);
        tail.forEach((byte, index) => setTimeout(() => socket.write(Buffer.from([byte])), index));
      }),
    );
    const snapshot = await openRdbSnapshot(target(port), options);
    expect((await buffer(snapshot.stream)).equals(rdb)).toBe(true);
  });

  it('fails the stream when the server goes away mid-snapshot', async () => {
    const port = await scriptedServer(
      handshake((socket) => {
        socket.write('$1000\r\n');
        socket.end(randomBytes(10));
      }),
    );
    const snapshot = await openRdbSnapshot(target(port), options);
    await expect(buffer(snapshot.stream)).rejects.toThrow(/before the snapshot was complete/);
  });

  it('reports refused credentials without the password', async () => {
    const port = await scriptedServer(handshake(() => undefined));
    const error = await openRdbSnapshot(target(port, 'not-the-password'), options).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RedisConnectFailure);
    expect(error).toMatchObject({ kind: 'auth' });
    expect((error as Error).message).not.toContain('not-the-password');
  });

  it('gives up on a server that never answers the handshake', async () => {
    const port = await scriptedServer(() => undefined);
    await expect(openRdbSnapshot(target(port), { connectTimeoutMs: 200, idleTimeoutMs: 200 })).rejects.toThrow(
      /did not complete the sync handshake/,
    );
  });
});

/**
 * A consistent RDB snapshot of a running server, received the way a replica receives its first full
 * sync: AUTH, REPLCONF, `PSYNC ? -1`. The server answers `+FULLRESYNC <replid> <offset>` (so the snapshot's
 * replication position is exact), then sends the snapshot either with a length prefix (`$<bytes>`) or,
 * when it streams without touching its disk, between `$EOF:<40-byte mark>` and the same mark. Nothing of
 * the snapshot is written on the node itself in the diskless case, which matters when its disk is full.
 *
 * `REPLCONF rdb-only 1` (Redis 7+) tells the server not to follow the snapshot with the command stream nor
 * to count this connection as a replica; older servers reject it, which is harmless since the stream is
 * cut right after the snapshot.
 */
import net from 'node:net';
import { Readable } from 'node:stream';
import { RedisConnectFailure, classifyConnectError, redact, type RedisTarget } from './client';

export interface RdbSnapshot {
  replicationId: string;
  /** The replication offset the snapshot is consistent with. */
  offset: number;
  /** The snapshot's bytes, ending exactly with its last byte. */
  stream: Readable;
}

export interface SnapshotOptions {
  /** Bound on connecting and the handshake. */
  connectTimeoutMs: number;
  /** The transfer fails when the server sends nothing for this long (it sends keep-alives while it forks). */
  idleTimeoutMs: number;
}

const EOF_MARK_LENGTH = 40;

export function encodeCommand(args: string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const arg of args) parts.push(`$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
  return Buffer.from(parts.join(''));
}

/** Reads the connection as lines until the payload starts, then as raw bytes. */
class SyncConnection {
  private buffered = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private failure: Error | undefined;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake?.();
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      this.wake?.();
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the server closed the connection')));
  }

  /** The next non-empty line (the server sends bare newlines as keep-alives while it prepares the snapshot). */
  async nextLine(): Promise<string> {
    while (true) {
      const end = this.buffered.indexOf('\n');
      if (end >= 0) {
        const line = this.buffered.subarray(0, end).toString('utf8').replace(/\r$/, '');
        this.buffered = this.buffered.subarray(end + 1);
        if (line !== '') return line;
        continue;
      }
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  async command(args: string[]): Promise<string> {
    this.socket.write(encodeCommand(args));
    return this.nextLine();
  }

  /** Hands over whatever arrived after the last line; from here on the caller reads the socket. */
  detach(): Buffer {
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('close');
    this.socket.removeAllListeners('error');
    const rest = this.buffered;
    this.buffered = Buffer.alloc(0);
    return rest;
  }
}

function connectSocket(target: RedisTarget, timeoutMs: number): Promise<net.Socket> {
  const address = `${target.host}:${target.port}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new RedisConnectFailure('unreachable', address, `${address} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: Error & { code?: string }) => {
      clearTimeout(timer);
      reject(new RedisConnectFailure(classifyConnectError(err), address, `${address}: ${err.message}`));
    });
  });
}

/**
 * A stream of the payload bytes that follow the `$` header: `remaining` of them for a length-prefixed
 * payload, or everything up to the end mark for a diskless one (the last 40 bytes are held back until
 * it is clear whether they are the mark).
 */
function payloadStream(socket: net.Socket, first: Buffer, header: string, idleTimeoutMs: number): Readable {
  const eofMark = header.startsWith('$EOF:') ? Buffer.from(header.slice(5)) : undefined;
  if (eofMark !== undefined && eofMark.length !== EOF_MARK_LENGTH)
    throw new Error(`unexpected snapshot header ${header}`);
  let remaining = eofMark === undefined ? Number(header.slice(1)) : Infinity;
  if (!Number.isSafeInteger(remaining) && eofMark === undefined)
    throw new Error(`unexpected snapshot header ${header}`);
  let held = Buffer.alloc(0);
  let finished = false;

  const stream = new Readable({
    read() {
      socket.resume();
    },
    destroy(err, callback) {
      socket.destroy();
      callback(err);
    },
  });
  const finish = () => {
    finished = true;
    stream.push(null);
    socket.destroy();
  };
  const accept = (chunk: Buffer) => {
    if (finished) return;
    let out: Buffer;
    if (eofMark === undefined) {
      out = chunk.subarray(0, Math.min(chunk.length, remaining));
      remaining -= out.length;
    } else {
      const all = Buffer.concat([held, chunk]);
      if (all.length >= EOF_MARK_LENGTH && all.subarray(all.length - EOF_MARK_LENGTH).equals(eofMark)) {
        out = all.subarray(0, all.length - EOF_MARK_LENGTH);
        remaining = 0;
      } else {
        const keep = Math.min(all.length, EOF_MARK_LENGTH);
        out = all.subarray(0, all.length - keep);
        held = all.subarray(all.length - keep);
      }
    }
    const wantsMore = out.length === 0 || stream.push(out);
    if (remaining === 0) finish();
    else if (!wantsMore) socket.pause();
  };
  socket.setTimeout(idleTimeoutMs, () =>
    stream.destroy(new Error(`the snapshot transfer stalled: nothing received for ${idleTimeoutMs} ms`)),
  );
  socket.on('data', accept);
  socket.on('error', (err) => stream.destroy(err));
  socket.on('close', () => {
    if (!finished) stream.destroy(new Error('the server closed the connection before the snapshot was complete'));
  });
  if (remaining === 0) finish();
  else if (first.length > 0) accept(first);
  return stream;
}

/** Opens a snapshot of `target`; the caller must consume or destroy `stream`. */
export async function openRdbSnapshot(target: RedisTarget, options: SnapshotOptions): Promise<RdbSnapshot> {
  const address = `${target.host}:${target.port}`;
  const socket = await connectSocket(target, options.connectTimeoutMs);
  const connection = new SyncConnection(socket);
  const handshakeTimer = setTimeout(
    () =>
      socket.destroy(new Error(`${address} did not complete the sync handshake within ${options.connectTimeoutMs} ms`)),
    options.connectTimeoutMs,
  );
  try {
    if (target.password) {
      const auth = target.username ? ['AUTH', target.username, target.password] : ['AUTH', target.password];
      const reply = await connection.command(auth);
      if (reply.startsWith('-')) {
        const message = redact(reply.slice(1), [target.password]);
        throw new RedisConnectFailure(classifyConnectError(new Error(message)), address, `${address}: ${message}`);
      }
    }
    const capa = await connection.command(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']);
    if (capa.startsWith('-')) throw new Error(`${address} refused REPLCONF: ${capa.slice(1)}`);
    await connection.command(['REPLCONF', 'rdb-only', '1']);
    const psync = await connection.command(['PSYNC', '?', '-1']);
    const match = /^\+FULLRESYNC (\S+) (\d+)$/.exec(psync);
    if (!match) throw new Error(`${address} answered PSYNC with "${psync}" instead of a full resync`);
    clearTimeout(handshakeTimer);
    socket.setTimeout(options.idleTimeoutMs, () =>
      socket.destroy(new Error(`${address} sent no snapshot for ${options.idleTimeoutMs} ms`)),
    );
    const header = await connection.nextLine();
    socket.setTimeout(0);
    if (!header.startsWith('$')) throw new Error(`${address} sent "${header}" instead of a snapshot`);
    const first = connection.detach();
    return {
      replicationId: match[1],
      offset: Number(match[2]),
      stream: payloadStream(socket, first, header, options.idleTimeoutMs),
    };
  } catch (err) {
    clearTimeout(handshakeTimer);
    socket.destroy();
    throw err;
  }
}

/**
 * Network helpers for the local provider's tests: a backend that greets every client and echoes what it
 * receives, and a probe that tells whether a front admitted a connection (the backend's greeting
 * arrived) or refused it (the connection closed without a byte). No timing thresholds: a probe waits for
 * one of those two outcomes.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface Backend {
  port: number;
  /** How many connections reached the backend. */
  accepted(): number;
  close(): Promise<void>;
}

/** A TCP server that writes `greeting\n` to every client and then echoes. */
export async function startBackend(greeting: string, port = 0, host = '127.0.0.1'): Promise<Backend> {
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.write(`${greeting}\n`);
    socket.pipe(socket);
  });
  server.listen({ port, host });
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    accepted: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface ProbeOptions {
  host?: string;
  /** Source address of the connection, e.g. `127.0.0.2`. */
  localAddress?: string;
}

export type ProbeResult = { admitted: true; greeting: string; socket: Socket } | { admitted: false };

/**
 * Connects and waits for the backend's greeting line (admitted; the socket stays open for the caller to
 * use and close) or for the connection to end without any byte (refused).
 */
export function probe(port: number, options: ProbeOptions = {}): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: options.host ?? '127.0.0.1', localAddress: options.localAddress });
    let received = '';
    let settled = false;
    socket.setEncoding('utf8');
    const onData = (chunk: string) => {
      received += chunk;
      if (!received.includes('\n')) return;
      settled = true;
      socket.off('data', onData);
      resolve({ admitted: true, greeting: received.trim(), socket });
    };
    socket.on('data', onData);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset or an early close is the firewall's refusal; failing to connect at all is a test failure.
      if (!settled && error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => {
      if (!settled && received === '') resolve({ admitted: false });
      else if (!settled) reject(new Error(`connection closed after a partial greeting ${JSON.stringify(received)}`));
    });
  });
}

/** Probes and closes the connection; returns the greeting, or undefined when refused. */
export async function greetingVia(port: number, options: ProbeOptions = {}): Promise<string | undefined> {
  const result = await probe(port, options);
  if (!result.admitted) return undefined;
  result.socket.destroy();
  return result.greeting;
}

/** Sends a line on an admitted connection and waits for the echo. */
export async function echo(socket: Socket, line: string): Promise<string> {
  const reply = new Promise<string>((resolve, reject) => {
    let received = '';
    const onData = (chunk: string) => {
      received += chunk;
      if (!received.includes('\n')) return;
      socket.off('data', onData);
      resolve(received.trim());
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('connection closed before the echo')));
  });
  socket.write(`${line}\n`);
  return reply;
}

/** Resolves once the socket is closed (by the other side). */
export async function closed(socket: Socket): Promise<void> {
  if (socket.destroyed) return;
  await once(socket, 'close');
}

/**
 * Polls `condition` until it holds; a condition that throws counts as not yet (e.g. a port not listening
 * yet). Fails after `timeoutMs` with the last error: a safety net, not a measured threshold.
 */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting until ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** True when a pid names a live, non-zombie process. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\S+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

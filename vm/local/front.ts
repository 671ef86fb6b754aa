/**
 * A TCP front, run as its own detached process: `front <config.json>`. It listens on the configured
 * addresses and forwards every admitted connection to the target. As a node firewall it admits only
 * source addresses in the allowlist; as a cluster endpoint its allowlist is empty and its target moves
 * to the current primary.
 *
 * On `reload` (control socket) or SIGHUP it re-reads its config file and applies it to new connections
 * at once; existing connections whose source is no longer allowed, or that go to a former target, are
 * closed so their clients reconnect through the new rules.
 */
import { existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

import { compileAllowlist } from '../allowlist';
import { readFrontConfig, type ControlReply, type ControlRequest, type FrontConfig } from './front-config';
import type { EndpointAddress } from '../types';

interface Forwarded {
  client: Socket;
  upstream: Socket;
  source: string;
  target: EndpointAddress;
}

function log(message: string, fields: object = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg: message, ...fields })}\n`);
}

class Front {
  private config!: FrontConfig;
  private allowed: (address: string) => boolean = () => false;
  private readonly connections = new Set<Forwarded>();
  private readonly listeners: Server[] = [];
  private control: Server | undefined;

  constructor(private readonly configPath: string) {}

  async start(): Promise<void> {
    await this.reload();
    for (const address of this.config.listen) {
      const server = createServer((client) => this.accept(client));
      try {
        await listen(server, address);
        this.listeners.push(server);
      } catch (error) {
        if (!address.optional) throw error;
        log('optional listen address unavailable', { host: address.host, error: (error as Error).message });
      }
    }
    // The control socket opens last: a front that answers on it is listening and has its config applied.
    this.control = createServer((socket) => this.serveControl(socket));
    if (existsSync(this.config.controlSocket)) unlinkSync(this.config.controlSocket);
    await listen(this.control, { path: this.config.controlSocket });
    log('front started', { label: this.config.label, listen: this.config.listen, target: this.config.target });
  }

  async reload(): Promise<number> {
    const config = await readFrontConfig(this.configPath);
    const allowed = config.denyAll ? () => false : compileAllowlist(config.allowlist);
    this.config = config;
    this.allowed = allowed;
    let closed = 0;
    for (const connection of this.connections) {
      const targetMoved = !sameAddress(connection.target, config.target);
      if (targetMoved || !allowed(connection.source)) {
        connection.client.destroy();
        connection.upstream.destroy();
        closed++;
      }
    }
    log('configuration applied', {
      generation: config.generation,
      allowlist: config.allowlist,
      denyAll: config.denyAll ?? false,
      target: config.target,
      closedConnections: closed,
    });
    return config.generation;
  }

  stop(): void {
    for (const server of [...this.listeners, this.control]) server?.close();
    for (const connection of this.connections) {
      connection.client.destroy();
      connection.upstream.destroy();
    }
    // The socket may live in the temp dir (long base dirs), where removing the base dir would not clean it.
    if (this.control !== undefined && existsSync(this.config.controlSocket)) unlinkSync(this.config.controlSocket);
  }

  private accept(client: Socket): void {
    const source = client.remoteAddress ?? '';
    if (!this.allowed(source)) {
      // Refused before anything reaches the backend; a reset tells the client it was not admitted.
      client.resetAndDestroy();
      log('connection refused', { source });
      return;
    }
    const target = this.config.target;
    const upstream = createConnection({ host: target.host, port: target.port });
    const connection: Forwarded = { client, upstream, source, target };
    this.connections.add(connection);
    const destroyBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', destroyBoth);
    upstream.on('error', destroyBoth);
    // When one side closes, the other is ended (not destroyed) so data already piped is still delivered.
    let open = 2;
    const closed = (other: Socket) => {
      other.end();
      if (--open === 0) this.connections.delete(connection);
    };
    client.on('close', () => closed(upstream));
    upstream.on('close', () => closed(client));
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private serveControl(socket: Socket): void {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline === -1) return;
      const reply = (body: ControlReply) => socket.end(`${JSON.stringify(body)}\n`);
      let request: ControlRequest;
      try {
        request = JSON.parse(buffer.slice(0, newline)) as ControlRequest;
      } catch {
        reply({ ok: false, error: 'malformed request' });
        return;
      }
      if (request.op === 'status') {
        reply({ ok: true, generation: this.config.generation });
      } else if (request.op === 'reload') {
        this.reload().then(
          (generation) => reply({ ok: true, generation }),
          (error: Error) => reply({ ok: false, error: error.message }),
        );
      } else {
        reply({ ok: false, error: `unknown op ${JSON.stringify(request.op)}` });
      }
    });
  }
}

function listen(server: Server, options: { host: string; port: number } | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function sameAddress(a: EndpointAddress, b: EndpointAddress): boolean {
  return a.host === b.host && a.port === b.port;
}

async function main(): Promise<void> {
  const configPath = process.argv[2];
  if (configPath === undefined) throw new Error('usage: front <config.json>');
  const front = new Front(configPath);
  process.on('SIGTERM', () => {
    log('stopping on SIGTERM');
    front.stop();
    process.exit(0);
  });
  process.on('SIGHUP', () => {
    front.reload().catch((error: Error) => log('reload failed', { error: error.message }));
  });
  await front.start();
}

main().catch((error: Error) => {
  log('front failed', { error: error.stack ?? error.message });
  process.exit(1);
});

/**
 * Port checks for the local provider. A port is handed out only after binding it succeeds on every
 * address it will be used on; the provider records allocations in its state so a port is never handed
 * out twice while allocated.
 */
import { createServer } from 'node:net';

export const DEFAULT_PORT_RANGE: [number, number] = [21000, 28999];

/** True when a TCP listener can bind `host:port` right now (the listener is closed again at once). */
export function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

let ipv6Loopback: Promise<boolean> | undefined;

/** Whether `::1` exists on this machine (the fronts also listen there when it does). */
export function hasIpv6Loopback(): Promise<boolean> {
  ipv6Loopback ??= canBind('::1', 0);
  return ipv6Loopback;
}

/**
 * Candidate ports in random order: several providers (other test suites, other base dirs) share the
 * range, and starting each search at a random point makes them unlikely to race for the same port.
 */
export function* candidatePorts([low, high]: [number, number]): Generator<number> {
  const size = high - low + 1;
  const start = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) yield low + ((start + i) % size);
}

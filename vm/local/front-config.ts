/**
 * Configuration of a TCP front (a node firewall or a cluster endpoint). The provider owns it: it writes
 * the file atomically, then tells the running front to reload it over the front's control socket; a
 * restarted front reads the same file, so a change survives the front's own restarts.
 */
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { EndpointAddress } from '../types';

export interface FrontListen extends EndpointAddress {
  /** When true, failing to listen here is logged and tolerated (e.g. `::1` on a host without IPv6). */
  optional: boolean;
}

export interface FrontConfig {
  /** For log lines, e.g. `firewall orders1`. */
  label: string;
  /** Increases with every change; the front reports the generation it has applied. */
  generation: number;
  listen: FrontListen[];
  target: EndpointAddress;
  /** Normalised CIDRs; empty = everyone (unless `denyAll`). */
  allowlist: string[];
  /** Admit nobody, whatever the allowlist says (a node not yet given its allowlist, or cut off). */
  denyAll?: boolean;
  /** Unix socket on which the front accepts `reload` and `status` requests. */
  controlSocket: string;
}

/** Request and reply of the control channel: one JSON line each way. */
export interface ControlRequest {
  op: 'reload' | 'status';
}

export interface ControlReply {
  ok: boolean;
  generation?: number;
  error?: string;
}

/** Longest unix socket path Linux accepts is 107 bytes; keep a margin. */
const MAX_SOCKET_PATH = 100;

/** `preferred` if short enough for a unix socket, else a stable name derived from it in the temp dir. */
export function controlSocketPath(preferred: string): string {
  if (Buffer.byteLength(preferred) <= MAX_SOCKET_PATH) return preferred;
  const digest = createHash('sha256').update(preferred).digest('hex').slice(0, 24);
  return join(tmpdir(), `dbcluster-front-${digest}.sock`);
}

export async function writeFrontConfig(path: string, config: FrontConfig): Promise<void> {
  const temp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  const handle = await fs.open(temp, 'w', 0o600);
  try {
    await handle.writeFile(JSON.stringify(config, null, 2));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, path);
}

export async function readFrontConfig(path: string): Promise<FrontConfig> {
  return JSON.parse(await fs.readFile(path, 'utf8')) as FrontConfig;
}

/**
 * The local provider's durable state, kept in `<baseDir>/state.json`. Every change is written to a temp
 * file, fsynced and renamed over the old file (then the directory is fsynced), so a crash leaves either
 * the old or the new state, never a torn one. Changes are applied in memory synchronously and then
 * persisted; `update` resolves once a write containing the change is on disk.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

import type { EndpointAddress, NodePlan, ProcessSpec, ProvisionedNode } from '../types';
import { ProviderStateError } from '../errors';
import type { ProcessIdentity } from './proc';

export interface NodeRecord extends ProvisionedNode {
  plan: NodePlan;
  /** Normalised CIDRs; empty = open to all (unless `closed` or `isolated`). */
  allowlist: string[];
  /** Provisioned without an allowlist and none applied since: the firewall admits nobody. */
  closed?: boolean;
  /** Cut off from every client (`setIsolation`), whatever the allowlist says. */
  isolated?: boolean;
  /** Bumped on every firewall configuration change; the front reports which one it applied. */
  generation: number;
  createdAt: string;
}

export interface EndpointRecord extends EndpointAddress {
  cluster: string;
  target: EndpointAddress;
  /** Where the front actually forwards: the target, or the engine behind it when the target is a node. */
  forwardsTo?: EndpointAddress;
  generation: number;
}

export interface ProcessRecord {
  spec: ProcessSpec;
  /** Pid file written next to the process's other runtime files. */
  pidFile: string;
  /** Absent between recording the wish to run and the spawn (or when the spawn failed). */
  identity?: ProcessIdentity;
  startedAt?: string;
}

export interface ProviderState {
  version: 1;
  nodes: Record<string, NodeRecord>;
  endpoints: Record<string, EndpointRecord>;
  /** Allocated port → what holds it (e.g. `node:orders1:public`). */
  ports: Record<string, string>;
  /** Supervised processes by key (`node/<node>/<name>`, `firewall/<node>`, `endpoint/<cluster>`). */
  processes: Record<string, ProcessRecord>;
}

export function emptyState(): ProviderState {
  return { version: 1, nodes: {}, endpoints: {}, ports: {}, processes: {} };
}

export function stateFilePath(baseDir: string): string {
  return join(baseDir, 'state.json');
}

/** Reads the state file; a missing file is an empty state, an unreadable one an error. */
export async function readStateFile(baseDir: string): Promise<ProviderState> {
  const path = stateFilePath(baseDir);
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw new ProviderStateError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const parsed = JSON.parse(text) as ProviderState;
    if (parsed.version !== 1) throw new Error(`unknown state version ${String(parsed.version)}`);
    return { ...emptyState(), ...parsed };
  } catch (error) {
    throw new ProviderStateError(
      `${path} is not a valid provider state (${(error as Error).message}); inspect or move it away, then restart`,
      { cause: error },
    );
  }
}

export class StateStore {
  private writes: Promise<void> = Promise.resolve();
  private tempCounter = 0;

  private constructor(
    private readonly baseDir: string,
    readonly state: ProviderState,
  ) {}

  static async open(baseDir: string): Promise<StateStore> {
    return new StateStore(baseDir, await readStateFile(baseDir));
  }

  /** Applies `change` to the in-memory state now and resolves once it is durable. */
  async update<T>(change: (state: ProviderState) => T): Promise<T> {
    const result = change(this.state);
    await this.persist();
    return result;
  }

  private persist(): Promise<void> {
    // Each write serialises the state as it is when the write starts, so it includes every earlier change.
    const write = this.writes.then(() => this.writeNow());
    this.writes = write.catch(() => undefined);
    return write;
  }

  private async writeNow(): Promise<void> {
    const path = stateFilePath(this.baseDir);
    const temp = `${path}.${process.pid}.${++this.tempCounter}.tmp`;
    const handle = await fs.open(temp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(this.state, null, 2));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, path);
    const dir = await fs.open(this.baseDir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

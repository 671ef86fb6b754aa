import { join } from 'node:path';

import { UnknownNodeError } from '../errors';
import type { ProcessSpec, ProcessSupervisor } from '../types';
import { nodeProcessKey, validateName } from './names';
import type { StateStore } from './state-store';
import type { LocalSupervisor } from './supervisor';

/** `ProcessSupervisor` for engine drivers: processes are keyed by node and name, pid files in the node's run dir. */
export class NodeProcesses implements ProcessSupervisor {
  constructor(
    private readonly open: () => Promise<{ store: StateStore; processes: LocalSupervisor }>,
    private readonly nodeDir: (node: string) => string,
  ) {}

  async start(node: string, name: string, spec: ProcessSpec): Promise<void> {
    const { store, processes } = await this.checked(node, name);
    if (store.state.nodes[node] === undefined) {
      throw new UnknownNodeError(`node ${node} is not provisioned; provision it before starting its processes`);
    }
    await processes.ensure(
      nodeProcessKey(node, name),
      { ...spec, cwd: spec.cwd ?? this.nodeDir(node) },
      join(this.nodeDir(node), 'run', `${name}.pid`),
    );
  }

  async stop(node: string, name: string, graceMs?: number): Promise<void> {
    const { processes } = await this.checked(node, name);
    await processes.stop(nodeProcessKey(node, name), graceMs);
  }

  async isRunning(node: string, name: string): Promise<boolean> {
    const { processes } = await this.checked(node, name);
    return processes.isRunning(nodeProcessKey(node, name));
  }

  private checked(node: string, name: string) {
    validateName('node', node);
    validateName('process', name);
    return this.open();
  }
}

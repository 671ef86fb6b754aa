/**
 * Remembers every process the local provider records (engines, node firewalls, endpoints) over a
 * test file, read from its state file, so the end can prove that each one is gone: the process
 * itself and anything left in its process group.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { groupMembers, processStatus, type ProcessIdentity } from '../../vm/local/proc';
import { readStateFile } from '../../vm/local/state-store';

export interface SeenProcess {
  /** `node/<node>/<name>`, `firewall/<node>` or `endpoint/<cluster>`. */
  key: string;
  identity: ProcessIdentity;
  command: string;
}

export class ProcessTracker {
  private readonly seen = new Map<string, SeenProcess>();

  constructor(private readonly vmDir: string) {}

  /** Records the processes the provider has now; returns them. */
  async snapshot(): Promise<SeenProcess[]> {
    const state = await readStateFile(this.vmDir);
    const current: SeenProcess[] = [];
    for (const [key, record] of Object.entries(state.processes)) {
      if (record.identity === undefined) continue;
      const entry = { key, identity: record.identity, command: record.spec.command };
      this.seen.set(`${record.identity.pid}:${record.identity.startTime}`, entry);
      current.push(entry);
    }
    return current;
  }

  /** The recorded processes of these nodes and clusters' endpoints (by key). */
  async of(nodes: string[], cluster?: string): Promise<SeenProcess[]> {
    const mine = (key: string) =>
      nodes.some((node) => key.startsWith(`node/${node}/`) || key === `firewall/${node}`) ||
      (cluster !== undefined && key === `endpoint/${cluster}`);
    return (await this.snapshot()).filter((p) => mine(p.key));
  }

  /** Descriptions of the given (default: every seen) processes that still run or left their group behind. */
  async alive(processes?: SeenProcess[]): Promise<string[]> {
    await this.snapshot().catch(() => undefined);
    return (processes ?? [...this.seen.values()])
      .filter((p) => isAlive(p))
      .map((p) => `${p.key} (pid ${p.identity.pid}, ${p.command})`);
  }

  /** How many distinct processes were seen. */
  count(): number {
    return this.seen.size;
  }
}

/**
 * Processes anywhere on the machine whose command line names `dir`: what a killed worker may have
 * left (a dump or a restore it had started) or an engine the provider lost track of.
 */
export function processesUsing(dir: string, except: number[] = []): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry) || [process.pid, ...except].includes(Number(entry))) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      continue;
    }
    if (cmdline.includes(dir)) found.push(`${entry}: ${cmdline}`);
  }
  return found;
}

function isAlive(p: SeenProcess): boolean {
  const status = processStatus(p.identity, p.command);
  // A recycled pid means our group is gone too: the kernel reuses no pid while a group of that id exists.
  if (status === 'foreign') return false;
  return status === 'alive' || groupMembers(p.identity.pid).length > 0;
}

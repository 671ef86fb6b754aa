/**
 * Kills every process recorded under a provider's base dir without a live provider: test teardown,
 * and product shutdown after the orchestrator crashed. Processes are found through the state file and
 * through pid files (a crash can fall between a spawn and the state write).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

import { processStatus } from './proc';
import { readStateFile, type ProcessRecord } from './state-store';
import { readPidFile, terminate } from './supervisor';

/** Stops (stop signal, then SIGKILL after `graceMs`) every live recorded process; returns how many there were. */
export async function reapAll(baseDir: string, graceMs = 5_000): Promise<number> {
  const records: ProcessRecord[] = [];
  try {
    records.push(...Object.values((await readStateFile(baseDir)).processes));
  } catch {
    // An unreadable state file must not stop the reaping; the pid files below still name the processes.
  }
  for (const pidFile of await pidFiles(baseDir)) {
    const recorded = await readPidFile(pidFile);
    if (recorded !== undefined) {
      records.push({
        spec: { command: recorded.command, args: [], logFile: '' },
        pidFile,
        identity: recorded.identity,
      });
    }
  }
  const seen = new Set<number>();
  const live = records.filter((record) => {
    const identity = record.identity;
    if (identity === undefined || seen.has(identity.pid)) return false;
    seen.add(identity.pid);
    return processStatus(identity, record.spec.command) === 'alive';
  });
  await Promise.all(records.map((record) => terminate(record, graceMs)));
  return live.length;
}

async function pidFiles(baseDir: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of await list(join(baseDir, 'nodes'))) {
    const runDir = join(baseDir, 'nodes', node, 'run');
    found.push(...(await list(runDir)).filter((name) => name.endsWith('.pid')).map((name) => join(runDir, name)));
    found.push(join(baseDir, 'nodes', node, 'firewall', 'front.pid'));
  }
  for (const cluster of await list(join(baseDir, 'endpoints')))
    found.push(join(baseDir, 'endpoints', cluster, 'front.pid'));
  return found;
}

async function list(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch {
    return [];
  }
}

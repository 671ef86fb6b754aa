/** Reads a stopped (or running) data directory's control file through pg_controldata. */
import path from 'node:path';
import type { PostgresInstallation } from './installation';
import { runToolChecked } from './run-tool';

export interface ControlData {
  systemIdentifier: string;
  /** e.g. "in production", "shut down", "shut down in recovery", "in archive recovery". */
  clusterState: string;
  /** Timeline of the latest checkpoint. */
  timeline: number;
  /** Timeline of the minimum recovery point (0 when not in recovery). */
  minRecoveryTimeline: number;
}

export function parseControlData(text: string): ControlData {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const field = (name: string): string => {
    const value = fields.get(name);
    if (value === undefined) throw new Error(`pg_controldata printed no "${name}"`);
    return value;
  };
  return {
    systemIdentifier: field('Database system identifier'),
    clusterState: field('Database cluster state'),
    timeline: Number(field("Latest checkpoint's TimeLineID")),
    minRecoveryTimeline: Number(fields.get("Min recovery ending loc's timeline") ?? '0'),
  };
}

export async function readControlData(installation: PostgresInstallation, pgdata: string): Promise<ControlData> {
  const result = await runToolChecked({
    command: path.join(installation.bindir, 'pg_controldata'),
    args: ['-D', pgdata],
    asServerUser: true,
    timeoutMs: 30_000,
  });
  return parseControlData(result.stdout);
}

/**
 * Where a node's files live under `node.dataDir`, and the small state file the driver keeps there.
 *
 *   <dataDir>/pgdata/           the PostgreSQL data directory (what backups and pg_basebackup copy)
 *   <dataDir>/conf/             configuration the driver renders; outside pgdata so that copies of the
 *                               data directory (replicas, restores) never inherit another node's
 *                               port, primary or fence
 *   <dataDir>/conf/state.json   what the driver has made of the node (its primary, whether fenced)
 *   <dataDir>/postgres.log      the server's output
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface NodeLayout {
  root: string;
  pgdata: string;
  confDir: string;
  configFile: string;
  hbaFile: string;
  identFile: string;
  /** libpq password file for the replication connection (mode 0600). */
  replicationPassFile: string;
  stateFile: string;
  logFile: string;
}

export function nodeLayout(dataDir: string): NodeLayout {
  const confDir = path.join(dataDir, 'conf');
  return {
    root: dataDir,
    pgdata: path.join(dataDir, 'pgdata'),
    confDir,
    configFile: path.join(confDir, 'postgresql.conf'),
    hbaFile: path.join(confDir, 'pg_hba.conf'),
    identFile: path.join(confDir, 'pg_ident.conf'),
    replicationPassFile: path.join(confDir, 'replication.pgpass'),
    stateFile: path.join(confDir, 'state.json'),
    logFile: path.join(dataDir, 'postgres.log'),
  };
}

export interface UpstreamAddress {
  host: string;
  port: number;
  /** Physical replication slot this node uses on its primary. */
  slot: string;
}

export interface NodeState {
  /**
   * Identifies the history of the node's data: a new one on initdb and on every restore, inherited
   * by replicas when they join. pg_rewind cannot tell two histories on the same timeline apart (a
   * primary restored from a backup continues the timeline it was backed up on), so a node whose
   * lineage differs from its new primary's is seeded afresh instead of rewound.
   */
  lineage?: string;
  /** Set while the node is (meant to be) a replica of this primary. */
  upstream?: UpstreamAddress;
  /** Set while the node is fenced: only the orchestrator and replication may connect. */
  fenced: boolean;
}

export const INITIAL_STATE: NodeState = { fenced: false };

/** The state of a node whose data was just created or restored: a primary with a history of its own. */
export function freshPrimaryState(): NodeState {
  return { fenced: false, lineage: randomUUID() };
}

export async function readState(layout: NodeLayout): Promise<NodeState> {
  try {
    return { ...INITIAL_STATE, ...(JSON.parse(await readFile(layout.stateFile, 'utf8')) as Partial<NodeState>) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...INITIAL_STATE };
    throw err;
  }
}

export function sameState(a: NodeState, b: NodeState): boolean {
  return (
    a.fenced === b.fenced &&
    a.lineage === b.lineage &&
    a.upstream?.host === b.upstream?.host &&
    a.upstream?.port === b.upstream?.port &&
    a.upstream?.slot === b.upstream?.slot
  );
}

/** Replaces the state file atomically (write + rename). */
export async function writeState(layout: NodeLayout, state: NodeState): Promise<void> {
  await mkdir(layout.confDir, { recursive: true });
  const tmp = `${layout.stateFile}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, layout.stateFile);
}

/** A replication slot name PostgreSQL accepts ([a-z0-9_], at most 63 bytes) for a replica node. */
export function slotNameFor(replicaNodeName: string): string {
  return `replica_${replicaNodeName.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
}

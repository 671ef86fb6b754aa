/**
 * A node's health as the server itself reports it. Never throws for a node that is down.
 */
import type { EngineNode, NodeHealth } from '../types';
import type { DriverContext } from './context';
import { replicationStatus } from './lag';
import { openNode, type Session } from './session';

const HEALTH_CONNECT_TIMEOUT_MS = 3_000;

export async function readReplicaStatus(session: Session) {
  const row = await session.one(session.flavour.replicaStatus);
  return row === undefined ? undefined : session.flavour.parseReplicaStatus(row);
}

export async function readPosition(session: Session): Promise<string> {
  const row = await session.one(session.flavour.positions);
  return session.flavour.positionOf({ binlog: String(row?.binlog ?? ''), applied: String(row?.applied ?? '') });
}

export async function health(context: DriverContext, node: EngineNode): Promise<NodeHealth> {
  let session: Session;
  try {
    session = await openNode(node, HEALTH_CONNECT_TIMEOUT_MS);
  } catch (error) {
    return { up: false, role: 'unknown', readOnly: false, error: (error as Error).message };
  }
  try {
    const readOnly = Number((await session.one('SELECT @@GLOBAL.read_only AS `ro`'))?.ro) === 1;
    const position = await readPosition(session);
    const status = await readReplicaStatus(session);
    // A node that replicates and refuses writes is a replica; one that replicates and takes writes
    // is a multi-master primary; one that does not replicate is a primary (fenced when read-only).
    const role = status !== undefined && readOnly ? 'replica' : 'primary';
    const replication =
      status === undefined
        ? undefined
        : await replicationStatus(context, node, status, session.flavour.name === 'mariadb');
    return { up: true, role, readOnly, version: session.version, position, replication };
  } catch (error) {
    return { up: false, role: 'unknown', readOnly: false, error: (error as Error).message };
  } finally {
    await session.close();
  }
}

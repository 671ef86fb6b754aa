/**
 * Replication positions: `<replication id>:<offset>`. An offset alone means nothing across histories: a
 * replica in the middle of a full synchronisation still reports the offset of its previous history, and a
 * primary without replicas does not advance its offset at all, so "offset ≥ wanted" could pass for a node
 * that lacks the data. With the replication id a node has reached a position only when it is in that
 * history (or continued from it when promoted, PSYNC2's second id) and has applied up to the offset.
 */
import { InfraError } from '../errors';
import type { ReplicationPosition } from '../types';
import type { ReplicationFacts } from './info';

/** A position string this driver did not produce. */
export class InvalidPositionError extends InfraError {
  readonly retryable = false;
}

export interface ParsedPosition {
  /** Undefined for a bare offset (accepted for positions recorded by hand). */
  replicationId?: string;
  offset: number;
}

export function formatPosition(replicationId: string | undefined, offset: number): ReplicationPosition {
  return replicationId ? `${replicationId}:${offset}` : String(offset);
}

export function parsePosition(position: ReplicationPosition): ParsedPosition {
  const match = /^(?:([0-9a-f]{40}):)?(\d+)$/.exec(position);
  if (!match) {
    throw new InvalidPositionError(`"${position}" is not a Redis replication position (<replication id>:<offset>)`);
  }
  return { replicationId: match[1], offset: Number(match[2]) };
}

/** The node's own position, as health and fence report it. */
export function positionOf(facts: ReplicationFacts): ReplicationPosition {
  return formatPosition(facts.replicationId, facts.offset);
}

/** True when the node holds every write up to `wanted`. */
export function hasReached(facts: ReplicationFacts, wanted: ParsedPosition): boolean {
  if (facts.offset < wanted.offset) return false;
  if (wanted.replicationId === undefined || facts.replicationId === wanted.replicationId) return true;
  // Promoted (or re-pointed to a promoted node) after the position: its old history is valid below secondOffset.
  return (
    facts.replicationId2 === wanted.replicationId &&
    facts.secondOffset !== undefined &&
    facts.secondOffset > wanted.offset
  );
}

/** Bytes `replica` is behind `primary`, or undefined when they are not in the same history. */
export function bytesBehind(primary: ReplicationFacts, replica: ReplicationFacts): number | undefined {
  const sameHistory =
    replica.replicationId !== undefined &&
    (replica.replicationId === primary.replicationId ||
      (replica.replicationId === primary.replicationId2 &&
        primary.secondOffset !== undefined &&
        primary.secondOffset > replica.offset));
  return sameHistory ? Math.max(0, primary.offset - replica.offset) : undefined;
}

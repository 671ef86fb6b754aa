import { describe, expect, it } from 'vitest';
import type { ReplicationFacts } from './info';
import { InvalidPositionError, bytesBehind, formatPosition, hasReached, parsePosition } from './position';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const ZERO = '0'.repeat(40);

function facts(replicationId: string, offset: number, replicationId2 = ZERO, secondOffset = -1): ReplicationFacts {
  return {
    role: 'slave',
    offset,
    linkUp: true,
    syncInProgress: false,
    onlineReplicas: 0,
    replicationId,
    replicationId2,
    secondOffset,
  };
}

describe('replication positions', () => {
  it('round-trips and rejects what it did not produce', () => {
    expect(parsePosition(formatPosition(A, 42))).toEqual({ replicationId: A, offset: 42 });
    expect(parsePosition('42')).toEqual({ replicationId: undefined, offset: 42 });
    expect(() => parsePosition('0/16B3748')).toThrow(InvalidPositionError);
  });

  it('counts a position reached only within the same history', () => {
    expect(hasReached(facts(A, 100), { replicationId: A, offset: 100 })).toBe(true);
    expect(hasReached(facts(A, 99), { replicationId: A, offset: 100 })).toBe(false);
    // A replica still in its previous history (mid full sync) with a larger offset lacks the data.
    expect(hasReached(facts(B, 5000), { replicationId: A, offset: 100 })).toBe(false);
  });

  it('counts a promoted node as holding its former history up to the promotion', () => {
    // Promoted at offset 150: history A is valid up to 150, so second_repl_offset is 151.
    expect(hasReached(facts(B, 180, A, 151), { replicationId: A, offset: 150 })).toBe(true);
    expect(hasReached(facts(B, 180, A, 151), { replicationId: A, offset: 160 })).toBe(false);
  });

  it('measures lag only between nodes of the same history', () => {
    expect(bytesBehind(facts(A, 500), facts(A, 420))).toBe(80);
    expect(bytesBehind(facts(A, 500), facts(B, 420))).toBeUndefined();
    expect(bytesBehind(facts(B, 500, A, 300), facts(A, 280))).toBe(220);
  });
});

/**
 * The downtime a client sees during a promotion, from the writer's record: the longest stretch
 * between two consecutive acknowledged writes around the operation, and the writes that failed.
 * With one write in flight at a time, that stretch is the time from the last write acknowledged
 * before the gap to the first acknowledged after it. Writes can also stall without failing (a lock
 * held by a backup), so the longest gap with failures in it, the outage, is kept apart.
 */
import { IncompleteWriteRecordError } from './errors';

/** One finished write attempt: when its answer (acknowledgement or error) arrived, epoch ms. */
export interface WriteEvent {
  at: number;
  ok: boolean;
  /** What the client was told, for a failed write. */
  error?: string;
}

export interface Gap {
  /** The last acknowledgement before the gap (epoch ms). */
  lastAckBefore: number;
  /** The first acknowledgement after it (epoch ms). */
  firstAckAfter: number;
  gapMs: number;
}

export interface Unavailability extends Gap {
  /** The longest gap with failed writes in it (writes refused, not just slow); none when no write failed. */
  longestOutage: Gap | undefined;
  /** Failed writes between `from` and `to`. */
  failedWrites: number;
  /** Stretches between consecutive acknowledgements that hold at least one failure. */
  outages: number;
  /** The failed writes' error messages, with how often each was seen. */
  errors: Map<string, number>;
}

/**
 * Looks at the writes from the last acknowledgement at or before `from` (the promotion was asked
 * for) to `to` (writes were acknowledged again well after it ended). `events` in time order.
 */
export function measureUnavailability(events: readonly WriteEvent[], from: number, to: number): Unavailability {
  let anchor = -1;
  for (let i = 0; i < events.length && events[i].at <= from; i++) if (events[i].ok) anchor = i;
  if (anchor < 0) {
    throw new IncompleteWriteRecordError('no write was acknowledged before the promotion started; cannot measure');
  }
  let previousAck = events[anchor].at;
  let longest: Gap | undefined;
  let longestOutage: Gap | undefined;
  let failedWrites = 0;
  let outages = 0;
  let failuresSinceAck = 0;
  const errors = new Map<string, number>();
  for (let i = anchor + 1; i < events.length && events[i].at <= to; i++) {
    const event = events[i];
    if (!event.ok) {
      failedWrites++;
      failuresSinceAck++;
      const message = event.error ?? 'unknown error';
      errors.set(message, (errors.get(message) ?? 0) + 1);
      continue;
    }
    const gap = { lastAckBefore: previousAck, firstAckAfter: event.at, gapMs: event.at - previousAck };
    if (longest === undefined || gap.gapMs > longest.gapMs) longest = gap;
    if (failuresSinceAck > 0) {
      outages++;
      if (longestOutage === undefined || gap.gapMs > longestOutage.gapMs) longestOutage = gap;
    }
    failuresSinceAck = 0;
    previousAck = event.at;
  }
  if (longest === undefined || failuresSinceAck > 0) {
    throw new IncompleteWriteRecordError(
      'no write was acknowledged after the last failure of the promotion; wait for writes to resume before measuring',
    );
  }
  return { ...longest, longestOutage, failedWrites, outages, errors };
}

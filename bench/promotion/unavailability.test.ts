import { describe, expect, it } from 'vitest';
import { IncompleteWriteRecordError } from './errors';
import { measureUnavailability, type WriteEvent } from './unavailability';

const ack = (at: number): WriteEvent => ({ at, ok: true });
const fail = (at: number, error = 'read-only'): WriteEvent => ({ at, ok: false, error });

describe('measureUnavailability', () => {
  it('measures the gap around failed writes from the last acknowledgement before it to the first after it', () => {
    const events = [ack(100), ack(110), fail(130), fail(160, 'refused'), fail(190, 'refused'), ack(400), ack(410)];
    const result = measureUnavailability(events, 115, 410);
    expect(result).toMatchObject({ lastAckBefore: 110, firstAckAfter: 400, gapMs: 290, failedWrites: 3, outages: 1 });
    expect(result.longestOutage).toEqual({ lastAckBefore: 110, firstAckAfter: 400, gapMs: 290 });
    expect([...result.errors]).toEqual([
      ['read-only', 1],
      ['refused', 2],
    ]);
  });

  it('reports a longer stall without failures as the downtime, and the outage apart', () => {
    const events = [ack(0), fail(20), ack(80), ack(90), ack(1_090), ack(1_100)];
    const result = measureUnavailability(events, 10, 1_100);
    expect(result.gapMs).toBe(1_000);
    expect(result.lastAckBefore).toBe(90);
    expect(result.longestOutage?.gapMs).toBe(80);
    expect(result.outages).toBe(1);
  });

  it('counts separate outages and only the failures inside the window', () => {
    const events = [fail(1), ack(10), fail(20), ack(30), fail(40), ack(100), ack(110), fail(500), ack(510)];
    const result = measureUnavailability(events, 12, 110);
    expect(result.failedWrites).toBe(2);
    expect(result.outages).toBe(2);
    expect(result.gapMs).toBe(70);
  });

  it('gives no outage when no write failed', () => {
    const result = measureUnavailability([ack(0), ack(5), ack(25), ack(30)], 1, 30);
    expect(result).toMatchObject({ gapMs: 20, failedWrites: 0, outages: 0, longestOutage: undefined });
  });

  it('refuses a record without an acknowledgement before the window', () => {
    expect(() => measureUnavailability([fail(0), ack(10)], 5, 10)).toThrow(IncompleteWriteRecordError);
  });

  it('refuses a record whose writes had not resumed by the end of the window', () => {
    expect(() => measureUnavailability([ack(0), ack(5), fail(10)], 1, 20)).toThrow(/no write was acknowledged after/);
    expect(() => measureUnavailability([ack(0)], 1, 20)).toThrow(IncompleteWriteRecordError);
  });
});

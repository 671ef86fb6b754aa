import { describe, expect, it } from 'vitest';
import { LagClock } from './lag-clock';

function clockAt(start: number) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('LagClock', () => {
  it('is 0 for a replica that has everything the primary had', () => {
    const clock = clockAt(0);
    const lag = new LagClock(clock.now);
    lag.record('p', 100);
    expect(lag.secondsBehind('p', 100)).toBe(0);
  });

  it('grows from the first time the primary was seen beyond the replica', () => {
    const clock = clockAt(0);
    const lag = new LagClock(clock.now);
    lag.record('p', 100);
    clock.advance(1000);
    lag.record('p', 150);
    clock.advance(500);
    expect(lag.secondsBehind('p', 100)).toBe(0.5);
    clock.advance(2000);
    lag.record('p', 400);
    expect(lag.secondsBehind('p', 100)).toBe(2.5);
    // A replica that moved on past 150 is only missing what came after the primary reached 400.
    expect(lag.secondsBehind('p', 160)).toBe(0);
  });

  it('keeps the first sighting of an offset, and restarts when offsets go back (a restored primary)', () => {
    const clock = clockAt(0);
    const lag = new LagClock(clock.now);
    lag.record('p', 200);
    clock.advance(3000);
    lag.record('p', 200);
    expect(lag.secondsBehind('p', 100)).toBe(3);
    lag.record('p', 50);
    expect(lag.secondsBehind('p', 40)).toBe(0);
    lag.forget('p');
    expect(lag.secondsBehind('p', 0)).toBe(0);
  });
});

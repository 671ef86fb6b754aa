import { describe, expect, it } from 'vitest';
import {
  civilToEpochSeconds,
  daysInMonth,
  loadTimeZone,
  localToEpochSeconds,
  toLocalFields,
  UnknownTimeZoneError,
  UTC_ZONE,
} from './timezone';

const seconds = (iso: string): number => Date.parse(iso) / 1000;
const iso = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');

describe('loadTimeZone', () => {
  it('treats the empty name and UTC as UTC', () => {
    expect(loadTimeZone('')).toBe(UTC_ZONE);
    expect(loadTimeZone('UTC')).toBe(UTC_ZONE);
  });

  it.each(['Mars/Base', 'europe/berlin', 'utc', '+01:00', '../etc/passwd', '/usr/share/zoneinfo/UTC'])(
    'rejects %j as Go would',
    (name) => {
      expect(() => loadTimeZone(name)).toThrow(UnknownTimeZoneError);
      expect(() => loadTimeZone(name)).toThrow(`unknown time zone "${name}"`);
    },
  );

  it('knows offsets on both sides of a change, to the second', () => {
    const newYork = loadTimeZone('America/New_York');
    const change = seconds('2024-03-10T07:00:00Z');
    expect(newYork.offsetAt(change - 1)).toBe(-5 * 3600);
    expect(newYork.offsetAt(change)).toBe(-4 * 3600);
    expect(loadTimeZone('Australia/Lord_Howe').offsetAt(seconds('2024-01-01T00:00:00Z'))).toBe(11 * 3600);
    expect(loadTimeZone('Australia/Lord_Howe').offsetAt(seconds('2024-07-01T00:00:00Z'))).toBe(10.5 * 3600);
    // Local mean time before standard time had offsets in seconds.
    expect(newYork.offsetAt(seconds('1850-01-01T00:00:00Z'))).toBe(-(4 * 3600 + 56 * 60 + 2));
  });
});

describe('wall-clock conversions (Go time.Date semantics)', () => {
  const newYork = loadTimeZone('America/New_York');
  const berlin = loadTimeZone('Europe/Berlin');

  it('reads local fields and weekday', () => {
    expect(toLocalFields(berlin, seconds('2024-10-27T00:30:00Z'))).toEqual({
      year: 2024,
      month: 10,
      day: 27,
      hour: 2,
      minute: 30,
      second: 0,
      weekday: 0,
    });
    expect(toLocalFields(UTC_ZONE, seconds('1969-12-31T23:59:59Z'))).toMatchObject({ year: 1969, weekday: 3 });
  });

  it.each([
    ['New York, ordinary time', newYork, [2024, 5, 1, 12, 0, 0], '2024-05-01T16:00:00Z'],
    ['New York, skipped 02:30 lands at 01:30 EST', newYork, [2024, 3, 10, 2, 30, 0], '2024-03-10T06:30:00Z'],
    ['New York, repeated 01:30 is the first one (EDT)', newYork, [2024, 11, 3, 1, 30, 0], '2024-11-03T05:30:00Z'],
    ['Berlin, skipped 02:30 lands at 03:30 CEST', berlin, [2024, 3, 31, 2, 30, 0], '2024-03-31T01:30:00Z'],
    ['Berlin, repeated 02:30 is the second one (CET)', berlin, [2024, 10, 27, 2, 30, 0], '2024-10-27T01:30:00Z'],
    ['fields overflow like Go (hour 24, month 13)', UTC_ZONE, [2024, 13, 31, 24, 0, 0], '2025-02-01T00:00:00Z'],
  ] as const)('%s', (_name, zone, fields, expected) => {
    const [year, month, day, hour, minute, second] = fields;
    expect(iso(localToEpochSeconds(zone, year, month, day, hour, minute, second))).toBe(expected);
  });

  it('counts days like the proleptic Gregorian calendar', () => {
    expect(civilToEpochSeconds(1970, 1, 1, 0, 0, 0)).toBe(0);
    expect(civilToEpochSeconds(2000, 3, 1, 0, 0, 0)).toBe(seconds('2000-03-01T00:00:00Z'));
    expect(civilToEpochSeconds(2100, 3, 0, 0, 0, 0)).toBe(seconds('2100-02-28T00:00:00Z'));
    expect([daysInMonth(2, 2024), daysInMonth(2, 2100), daysInMonth(2, 2000), daysInMonth(4, 2023)]).toEqual([
      29, 28, 29, 30,
    ]);
  });
});

import Long from 'long';
import type { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { compileScheduleSpec } from './spec';

type ScheduleSpec = temporal.api.schedule.v1.IScheduleSpec;

const ms = (iso: string): number => Date.parse(iso);
const iso = (epochMs: number): string => new Date(epochMs).toISOString().replace('.000Z', 'Z');
const seconds = (s: number, nanos = 0) => ({ seconds: Long.fromNumber(s), nanos });
const at = (isoTime: string) => ({
  seconds: Long.fromNumber(Math.floor(ms(isoTime) / 1000)),
  nanos: (ms(isoTime) % 1000) * 1e6,
});

/** Walks the schedule the way the server does: each actual time is the next search's start. */
function walk(spec: ScheduleSpec, afterIso: string, count: number, scheduleId = 'schedule'): string[] {
  const compiled = compileScheduleSpec(spec, scheduleId);
  const times: string[] = [];
  let after = ms(afterIso);
  for (let i = 0; i < count; i++) {
    const next = compiled.nextTime(after);
    if (!next) break;
    times.push(
      next.actualMs === next.nominalMs
        ? iso(next.nominalMs)
        : `${iso(next.nominalMs)} +${next.actualMs - next.nominalMs}ms`,
    );
    after = next.actualMs;
  }
  return times;
}

// Expected times were checked against the Temporal server's own Go code (spec.go/calendar.go).
describe('fire times', () => {
  // `count` above the number expected means the schedule must end there.
  const table: { name: string; spec: ScheduleSpec; after: string; expected: string[]; count?: number }[] = [
    {
      name: 'hourly (@hourly)',
      spec: { cronString: ['@hourly'] },
      after: '2024-05-01T10:20:00Z',
      expected: ['2024-05-01T11:00:00Z', '2024-05-01T12:00:00Z', '2024-05-01T13:00:00Z'],
    },
    {
      name: 'daily at 02:30 UTC (legacy calendar)',
      spec: { calendar: [{ hour: '2', minute: '30' }] },
      after: '2024-05-01T03:00:00Z',
      expected: ['2024-05-02T02:30:00Z', '2024-05-03T02:30:00Z'],
    },
    {
      name: 'daily at 02:30 UTC, searching from the exact fire time',
      spec: { cronString: ['30 2 * * *'] },
      after: '2024-05-02T02:30:00Z',
      expected: ['2024-05-03T02:30:00Z'],
    },
    {
      name: 'every 90 minutes with a 15 minute phase, counted from the Unix epoch',
      spec: { interval: [{ interval: seconds(5400), phase: seconds(900) }] },
      after: '2024-05-01T00:00:00Z',
      expected: ['2024-05-01T00:15:00Z', '2024-05-01T01:45:00Z', '2024-05-01T03:15:00Z'],
    },
    {
      name: 'every 90 minutes (server test TestSpecIntervalBasic)',
      spec: { interval: [{ interval: seconds(5400) }] },
      after: '2022-03-23T12:53:02Z',
      expected: ['2022-03-23T13:30:00Z', '2022-03-23T15:00:00Z', '2022-03-23T16:30:00Z'],
    },
    {
      name: 'two intervals merge (server test TestSpecIntervalMultiple)',
      spec: {
        interval: [
          { interval: seconds(5400), phase: seconds(344) },
          { interval: seconds(9420), phase: seconds(1331) },
        ],
      },
      after: '2022-03-23T12:53:02Z',
      expected: ['2022-03-23T13:35:44Z', '2022-03-23T15:05:44Z', '2022-03-23T15:26:11Z', '2022-03-23T16:35:44Z'],
    },
    {
      // Multiples of 5h since 1970 fall on 2024-04-30T23:00Z, 2024-05-01T04:00Z, ...
      name: '@every 5h/45m (interval with phase)',
      spec: { cronString: ['@every 5h/45m'] },
      after: '2024-05-01T00:00:00Z',
      expected: ['2024-05-01T04:45:00Z', '2024-05-01T09:45:00Z'],
    },
    {
      name: 'weekdays only at 09:00 (Friday to Monday)',
      spec: { cronString: ['0 9 * * mon-fri'] },
      after: '2024-05-03T10:00:00Z',
      expected: ['2024-05-06T09:00:00Z', '2024-05-07T09:00:00Z'],
    },
    {
      name: 'day of month AND day of week (unlike classic cron): Friday the 13th',
      spec: { cronString: ['0 0 13 * fri'] },
      after: '2024-01-01T00:00:00Z',
      expected: ['2024-09-13T00:00:00Z', '2024-12-13T00:00:00Z', '2025-06-13T00:00:00Z'],
    },
    {
      name: 'days 28-31 at 23:00: only the days a month has',
      spec: { calendar: [{ dayOfMonth: '28-31', hour: '23' }] },
      after: '2024-02-27T00:00:00Z',
      expected: ['2024-02-28T23:00:00Z', '2024-02-29T23:00:00Z', '2024-03-28T23:00:00Z'],
    },
    {
      name: 'days 28-31 in a short February',
      spec: { calendar: [{ dayOfMonth: '28-31', hour: '23' }] },
      after: '2023-02-01T00:00:00Z',
      expected: ['2023-02-28T23:00:00Z', '2023-03-28T23:00:00Z'],
    },
    {
      name: 'monthly on the 31st skips months without one',
      spec: { cronString: ['0 0 31 * *'] },
      after: '2024-01-31T00:00:00Z',
      expected: ['2024-03-31T00:00:00Z', '2024-05-31T00:00:00Z', '2024-07-31T00:00:00Z', '2024-08-31T00:00:00Z'],
    },
    {
      name: 'structured calendar: 1st and 15th of each quarter month at 06:00:30',
      spec: {
        structuredCalendar: [
          {
            second: [{ start: 30 }],
            minute: [{ start: 0 }],
            hour: [{ start: 6 }],
            dayOfMonth: [{ start: 1, end: 15, step: 14 }],
            month: [{ start: 1, end: 12, step: 3 }],
            dayOfWeek: [{ start: 0, end: 6 }],
          },
        ],
      },
      after: '2024-01-01T07:00:00Z',
      expected: ['2024-01-15T06:00:30Z', '2024-04-01T06:00:30Z', '2024-04-15T06:00:30Z'],
    },
    {
      name: 'structured calendar with no seconds range never matches (as on the server)',
      spec: { structuredCalendar: [{ minute: [{ start: 0 }], hour: [{ start: 6 }] }] },
      after: '2024-01-01T00:00:00Z',
      expected: [],
      count: 1,
    },
    {
      name: 'a year list ends the schedule',
      spec: { calendar: [{ hour: '13', minute: '55', dayOfMonth: '7', month: 'apr', year: '2022' }] },
      after: '2022-03-23T11:00:00Z',
      expected: ['2022-04-07T13:55:00Z'],
      count: 2,
    },
    {
      name: 'seconds field from a 7-field cron string',
      spec: { cronString: ['*/20 15 10 * * * 2024'] },
      after: '2024-05-01T10:15:10Z',
      expected: ['2024-05-01T10:15:20Z', '2024-05-01T10:15:40Z', '2024-05-02T10:15:00Z'],
    },
    {
      name: 'calendars, cron strings and intervals are merged (server test TestSpecMixedCalendarInterval)',
      spec: {
        calendar: [{ hour: '11,13', minute: '55' }],
        interval: [{ interval: seconds(5400), phase: seconds(420) }],
      },
      after: '2022-03-23T10:00:00Z',
      expected: ['2022-03-23T10:37:00Z', '2022-03-23T11:55:00Z', '2022-03-23T12:07:00Z', '2022-03-23T13:37:00Z'],
    },
  ];
  it.each(table)('$name', ({ spec, after, expected, count }) => {
    expect(walk(spec, after, count ?? expected.length)).toEqual(expected);
  });
});

describe('time zones and DST (as the server resolves skipped and repeated wall-clock times)', () => {
  const table: { name: string; spec: ScheduleSpec; after: string; expected: string[] }[] = [
    {
      name: 'New York, spring forward: 02:30 does not exist on 2024-03-10 and does not fire',
      spec: { cronString: ['CRON_TZ=America/New_York 30 2 * * *'] },
      after: '2024-03-08T12:00:00Z',
      expected: ['2024-03-09T07:30:00Z', '2024-03-11T06:30:00Z', '2024-03-12T06:30:00Z'],
    },
    {
      name: 'New York, fall back: 01:30 happens twice on 2024-11-03 and fires twice',
      spec: { calendar: [{ hour: '1', minute: '30' }], timezoneName: 'America/New_York' },
      after: '2024-11-02T12:00:00Z',
      expected: ['2024-11-03T05:30:00Z', '2024-11-03T06:30:00Z', '2024-11-04T06:30:00Z'],
    },
    {
      name: 'New York, every 30 minutes through the repeated hour',
      spec: { calendar: [{ minute: '*/30', hour: '*' }], timezoneName: 'America/New_York' },
      after: '2024-11-03T03:45:00Z',
      expected: [
        '2024-11-03T04:00:00Z', // 00:00 EDT
        '2024-11-03T04:30:00Z',
        '2024-11-03T05:00:00Z', // 01:00 EDT
        '2024-11-03T05:30:00Z',
        '2024-11-03T06:00:00Z', // 01:00 EST
        '2024-11-03T06:30:00Z',
        '2024-11-03T07:00:00Z', // 02:00 EST
      ],
    },
    {
      name: 'New York, every 30 minutes through the skipped hour',
      spec: { calendar: [{ minute: '*/30', hour: '*' }], timezoneName: 'America/New_York' },
      after: '2024-03-10T05:45:00Z',
      expected: ['2024-03-10T06:00:00Z', '2024-03-10T06:30:00Z', '2024-03-10T07:00:00Z', '2024-03-10T07:30:00Z'],
    },
    {
      name: 'Berlin, spring forward: 02:30 does not exist on 2024-03-31 and does not fire',
      spec: { calendar: [{ hour: '2', minute: '30' }], timezoneName: 'Europe/Berlin' },
      after: '2024-03-29T12:00:00Z',
      expected: ['2024-03-30T01:30:00Z', '2024-04-01T00:30:00Z', '2024-04-02T00:30:00Z'],
    },
    {
      // East of UTC Go resolves a repeated wall-clock time to its second occurrence, and the
      // search starts there, so a daily 02:30 fires once, at 02:30 CET.
      name: 'Berlin, fall back: daily 02:30 fires once on 2024-10-27, at the second 02:30',
      spec: { cronString: ['CRON_TZ=Europe/Berlin 30 2 * * *'] },
      after: '2024-10-26T12:00:00Z',
      expected: ['2024-10-27T01:30:00Z', '2024-10-28T01:30:00Z', '2024-10-29T01:30:00Z'],
    },
    {
      name: 'Berlin, every 30 minutes through the repeated hour',
      spec: { cronString: ['0,30 * * * *'], timezoneName: 'Europe/Berlin' },
      after: '2024-10-26T23:15:00Z',
      expected: [
        '2024-10-26T23:30:00Z', // 01:30 CEST
        '2024-10-27T00:00:00Z', // 02:00 CEST
        '2024-10-27T01:30:00Z', // 02:30 CET (02:30 CEST is not visited, as on the server)
        '2024-10-27T02:00:00Z',
        '2024-10-27T02:30:00Z',
        '2024-10-27T03:00:00Z',
      ],
    },
    {
      name: 'Berlin, every 30 minutes through the skipped hour',
      spec: { cronString: ['0,30 * * * *'], timezoneName: 'Europe/Berlin' },
      after: '2024-03-31T00:15:00Z',
      expected: ['2024-03-31T00:30:00Z', '2024-03-31T01:00:00Z', '2024-03-31T01:30:00Z', '2024-03-31T02:00:00Z'],
    },
    {
      name: 'zone aliases are accepted (US/Pacific, server test TestCalendarNextDST)',
      spec: { cronString: ['CRON_TZ=US/Pacific 33 33,44 1 * * * *'] },
      after: '2021-11-07T07:15:15Z',
      expected: [
        '2021-11-07T08:33:33Z',
        '2021-11-07T08:44:33Z',
        '2021-11-07T09:33:33Z',
        '2021-11-07T09:44:33Z',
        '2021-11-08T09:33:33Z',
      ],
    },
    {
      name: 'intervals ignore the time zone',
      spec: { interval: [{ interval: seconds(3600) }], timezoneName: 'Asia/Kolkata' },
      after: '2024-05-01T10:20:00Z',
      expected: ['2024-05-01T11:00:00Z'],
    },
  ];
  it.each(table)('$name', ({ spec, after, expected }) => {
    expect(walk(spec, after, expected.length)).toEqual(expected);
  });
});

describe('start and end time', () => {
  it('fires only within [startTime, endTime], both inclusive', () => {
    const spec: ScheduleSpec = {
      interval: [{ interval: seconds(3600) }],
      startTime: at('2024-05-01T10:30:00Z'),
      endTime: at('2024-05-01T13:00:00Z'),
    };
    expect(walk(spec, '2024-05-01T00:00:00Z', 5)).toEqual([
      '2024-05-01T11:00:00Z',
      '2024-05-01T12:00:00Z',
      '2024-05-01T13:00:00Z',
    ]);
  });

  it('fires at the start time itself when it matches', () => {
    const spec: ScheduleSpec = { cronString: ['0 12 * * *'], startTime: at('2024-05-01T12:00:00Z') };
    expect(walk(spec, '2024-04-01T00:00:00Z', 1)).toEqual(['2024-05-01T12:00:00Z']);
  });

  it('uses the second before a fractional start time, as the server does (TestSpecStartTimeMinusOneSecond)', () => {
    const spec: ScheduleSpec = { interval: [{ interval: seconds(3600) }], startTime: at('2022-03-23T12:00:00.456Z') };
    expect(walk(spec, '2022-03-23T12:00:00.123Z', 1)).toEqual(['2022-03-23T13:00:00Z']);
    expect(walk(spec, '2022-03-23T11:00:00Z', 1)).toEqual(['2022-03-23T12:00:00Z']);
  });

  it('has no times past the end time', () => {
    const compiled = compileScheduleSpec({ cronString: ['@daily'], endTime: at('2024-05-01T00:00:00Z') }, 's');
    expect(compiled.nextNominalTime(ms('2024-05-01T00:00:00Z'))).toBeUndefined();
  });

  it('has no times after the year 2100', () => {
    const compiled = compileScheduleSpec({ interval: [{ interval: seconds(86400) }] }, 's');
    expect(iso(compiled.nextNominalTime(ms('2100-12-30T12:00:00Z')) as number)).toBe('2100-12-31T00:00:00Z');
    expect(compiled.nextNominalTime(ms('2100-12-31T00:00:00Z'))).toBeUndefined();
  });
});

describe('excludes', () => {
  it('skips times matched by excludeCalendar (server test TestSpecExclude, with its jitter)', () => {
    const spec: ScheduleSpec = {
      interval: [{ interval: seconds(5400) }],
      excludeCalendar: [{ hour: '12-14', minute: '*', second: '*' }],
      jitter: seconds(1),
    };
    // The server's own expectations for jitter seed "".
    expect(walk(spec, '2022-03-23T08:00:00Z', 4, '')).toEqual([
      '2022-03-23T09:00:00Z +235ms',
      '2022-03-23T10:30:00Z +139ms',
      '2022-03-23T15:00:00Z +89ms',
      '2022-03-23T16:30:00Z +687ms',
    ]);
  });

  it('skips weekends given as an excludeStructuredCalendar', () => {
    const spec: ScheduleSpec = {
      cronString: ['0 6 * * *'],
      excludeStructuredCalendar: [
        {
          second: [{ start: 0, end: 59 }],
          minute: [{ start: 0, end: 59 }],
          hour: [{ start: 0, end: 23 }],
          dayOfMonth: [{ start: 1, end: 31 }],
          month: [{ start: 1, end: 12 }],
          dayOfWeek: [{ start: 0 }, { start: 6 }],
        },
      ],
    };
    expect(walk(spec, '2024-05-03T07:00:00Z', 2)).toEqual(['2024-05-06T06:00:00Z', '2024-05-07T06:00:00Z']);
  });

  it('reads excludes in the spec time zone', () => {
    const spec: ScheduleSpec = {
      cronString: ['0 * * * *'],
      timezoneName: 'Europe/Berlin',
      excludeCalendar: [{ hour: '0-5', minute: '*', second: '*' }],
    };
    // 23:00 CEST, then nothing until 06:00 CEST.
    expect(walk(spec, '2024-05-01T20:30:00Z', 2)).toEqual(['2024-05-01T21:00:00Z', '2024-05-02T04:00:00Z']);
  });

  it('ends the schedule when everything is excluded', () => {
    const compiled = compileScheduleSpec(
      {
        interval: [{ interval: seconds(7 * 86400) }],
        excludeCalendar: [{ second: '*', minute: '*', hour: '*' }],
      },
      's',
    );
    expect(compiled.nextTime(ms('2022-03-23T12:53:02Z'))).toBeUndefined();
  });

  it('gives up after maxSearchIterations excluded candidates', () => {
    const compiled = compileScheduleSpec(
      {
        calendar: [{ second: '*', minute: '*', hour: '*' }],
        excludeCalendar: [{ second: '*', minute: '*', hour: '*' }],
      },
      's',
      { maxSearchIterations: 1000 },
    );
    expect(compiled.nextNominalTime(ms('2024-01-01T00:00:00Z'))).toBeUndefined();
  });
});

describe('jitter', () => {
  const daily = { interval: [{ interval: seconds(86400) }], jitter: seconds(3600) };

  it('matches the server for its test seeds (TestSpecJitterSeed)', () => {
    expect(walk(daily, '2022-03-23T11:00:00Z', 1, '')).toEqual(['2022-03-24T00:00:00Z +2124276ms']);
    expect(walk(daily, '2022-03-23T11:00:00Z', 1, 'seed-1')).toEqual(['2022-03-24T00:00:00Z +372519ms']);
    expect(walk(daily, '2022-03-23T11:00:00Z', 1, 'seed-2')).toEqual(['2022-03-24T00:00:00Z +2356922ms']);
  });

  it('seeds with "<namespace id>-<schedule id>" when the namespace id is given', () => {
    const withNamespace = compileScheduleSpec(daily, '2', { namespaceId: 'seed' });
    expect(withNamespace.actualTime(ms('2022-03-24T00:00:00Z')) - ms('2022-03-24T00:00:00Z')).toBe(2356922);
  });

  it('matches the server for a seed longer than 24 bytes', () => {
    const spec = { interval: [{ interval: seconds(3600) }], jitter: seconds(600) };
    const seed = '3f1b7e1c-6d5a-4c1e-9a45-0b1f2c3d4e5f-nightly-backup';
    expect(walk(spec, '2024-05-01T00:00:00Z', 3, seed)).toEqual([
      '2024-05-01T01:00:00Z +70137ms',
      '2024-05-01T02:00:00Z +26413ms',
      '2024-05-01T03:00:00Z +327132ms',
    ]);
  });

  it('never reaches the following nominal time (TestSpecBoundedJitter)', () => {
    const spec = { interval: [{ interval: seconds(5400) }], jitter: seconds(86400) };
    expect(walk(spec, '2022-03-23T11:00:00Z', 3, '')).toEqual([
      '2022-03-23T12:00:00Z +876524ms',
      '2022-03-23T13:30:00Z +3174562ms',
      '2022-03-23T15:00:00Z +483724ms',
    ]);
  });

  it('is bounded by the gap to the next nominal time', () => {
    const spec = { cronString: ['0,1 12 * * *'], jitter: seconds(3600) };
    expect(walk(spec, '2024-05-01T00:00:00Z', 3, 's')).toEqual([
      '2024-05-01T12:00:00Z +40711ms',
      '2024-05-01T12:01:00Z +3569833ms',
      '2024-05-02T12:00:00Z +28171ms',
    ]);
  });

  it('is deterministic, in [0, jitter), and differs between schedules', () => {
    const spec = { cronString: ['*/10 * * * *'], jitter: seconds(300) };
    const first = compileScheduleSpec(spec, 'backup-a');
    const again = compileScheduleSpec(spec, 'backup-a');
    const other = compileScheduleSpec(spec, 'backup-b');
    let differs = 0;
    for (let nominal = ms('2024-05-01T00:10:00Z'); nominal <= ms('2024-05-02T00:00:00Z'); nominal += 600_000) {
      const jitter = first.actualTime(nominal) - nominal;
      expect(jitter).toBeGreaterThanOrEqual(0);
      expect(jitter).toBeLessThan(300_000);
      expect(again.actualTime(nominal)).toBe(first.actualTime(nominal));
      if (other.actualTime(nominal) !== first.actualTime(nominal)) differs++;
    }
    expect(differs).toBeGreaterThan(140);
  });

  it('is zero without a jitter', () => {
    const compiled = compileScheduleSpec({ cronString: ['@hourly'] }, 's');
    expect(compiled.actualTime(ms('2024-05-01T10:00:00Z'))).toBe(ms('2024-05-01T10:00:00Z'));
  });
});

describe('matchingTimes (ListScheduleMatchingTimes)', () => {
  const compiled = compileScheduleSpec({ cronString: ['0 */6 * * *'] }, 's');

  it('lists times after start, up to and including end', () => {
    expect(compiled.matchingTimes(ms('2024-05-01T00:00:00Z'), ms('2024-05-02T00:00:00Z')).map(iso)).toEqual([
      '2024-05-01T06:00:00Z',
      '2024-05-01T12:00:00Z',
      '2024-05-01T18:00:00Z',
      '2024-05-02T00:00:00Z',
    ]);
  });

  it('stops at the limit (1000 by default)', () => {
    expect(compiled.matchingTimes(ms('2024-05-01T00:00:00Z'), ms('2024-05-10T00:00:00Z'), 2)).toHaveLength(2);
    expect(compiled.matchingTimes(ms('2024-01-01T00:00:00Z'), ms('2030-01-01T00:00:00Z'))).toHaveLength(1000);
  });
});

describe('speed', () => {
  // Time skipping advances schedules thousands of times; each step must be cheap. The bound is
  // generous (an iteration per minute would take far longer) so the test does not depend on the machine.
  it('computes 20,000 successive daily times in a DST zone without scanning minutes', () => {
    const compiled = compileScheduleSpec(
      { cronString: ['CRON_TZ=Europe/Berlin 30 2 * * *'], jitter: seconds(600) },
      's',
    );
    let after = ms('2025-01-01T00:00:00Z');
    let steps = 0;
    for (; steps < 20_000; steps++) {
      const next = compiled.nextTime(after);
      if (!next) break;
      after = next.actualMs;
    }
    expect(steps).toBe(20_000);
    expect(iso(after).slice(0, 4)).toBe('2079');
  });
});

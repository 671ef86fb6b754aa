import Long from 'long';
import type { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { canonicalizeScheduleSpec, compileScheduleSpec, ScheduleSpecError } from './spec';

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

describe('canonicalizeScheduleSpec (what DescribeSchedule returns)', () => {
  const everyDay = { dayOfMonth: [{ start: 1, end: 31, step: 1 }], month: [{ start: 1, end: 12, step: 1 }] };
  const anyWeekday = [{ start: 0, end: 6, step: 1 }];
  const one = (value: number) => ({ start: value, end: value, step: 1 });

  it('turns a cron string into a structured calendar with explicit ranges', () => {
    expect(canonicalizeScheduleSpec({ cronString: ['5,9 */2 * * *'] }).structuredCalendar).toEqual([
      {
        second: [one(0)],
        minute: [one(5), one(9)],
        hour: [{ start: 0, end: 23, step: 2 }],
        ...everyDay,
        year: [],
        dayOfWeek: anyWeekday,
        comment: '',
      },
    ]);
  });

  it('moves a CRON_TZ to timezoneName and keeps the comment (server test TestParseCronString)', () => {
    const canonical = canonicalizeScheduleSpec({
      cronString: ['CRON_TZ=US/Pacific 55 55,57 5 2/2 * wed-thurs *  # explanation'],
    });
    expect(canonical.timezoneName).toBe('US/Pacific');
    expect(canonical.cronString).toEqual([]);
    expect(canonical.structuredCalendar).toEqual([
      {
        second: [one(55)],
        minute: [one(55), one(57)],
        hour: [one(5)],
        dayOfMonth: [{ start: 2, end: 31, step: 2 }],
        month: [{ start: 1, end: 12, step: 1 }],
        year: [],
        dayOfWeek: [{ start: 3, end: 4, step: 1 }],
        comment: 'explanation',
      },
    ]);
  });

  it('turns @every into an interval and @monthly into a calendar', () => {
    const canonical = canonicalizeScheduleSpec({ cronString: ['@every 43h', '@monthly'] });
    expect(canonical.interval).toEqual([{ interval: { seconds: Long.fromNumber(154800), nanos: 0 } }]);
    expect(canonical.structuredCalendar?.[0]).toMatchObject({ second: [one(0)], hour: [one(0)], dayOfMonth: [one(1)] });
  });

  it('turns @every with days and a phase into an interval', () => {
    const canonical = canonicalizeScheduleSpec({ cronString: ['@every 1.5d/2h'] });
    expect(canonical.interval).toEqual([
      { interval: { seconds: Long.fromNumber(129600), nanos: 0 }, phase: { seconds: Long.fromNumber(7200), nanos: 0 } },
    ]);
  });

  it('fills in legacy calendar defaults (second 0, minute 0, hour 0, every day) and names', () => {
    const [calendar] = canonicalizeScheduleSpec({ calendar: [{ dayOfWeek: 'mon-fri', month: 'jan,Jul' }] })
      .structuredCalendar as temporal.api.schedule.v1.IStructuredCalendarSpec[];
    expect(calendar).toMatchObject({
      second: [one(0)],
      minute: [one(0)],
      hour: [one(0)],
      month: [one(1), one(7)],
      dayOfWeek: [{ start: 1, end: 5, step: 1 }],
    });
  });

  it.each([
    ['7', [one(0)]],
    ['5-7', [one(0), { start: 5, end: 6, step: 1 }]],
    ['0-7', [{ start: 0, end: 6, step: 1 }]],
    ['1-7/2', [one(0), { start: 1, end: 6, step: 2 }]],
    ['3-7/3', [{ start: 3, end: 6, step: 3 }]],
  ])('rewrites day of week 7 as Sunday: %s', (dayOfWeek, expected) => {
    expect(canonicalizeScheduleSpec({ calendar: [{ dayOfWeek }] }).structuredCalendar?.[0].dayOfWeek).toEqual(expected);
  });

  it('keeps the other fields and converts excludeCalendar too', () => {
    const canonical = canonicalizeScheduleSpec({
      cronString: ['23 5,7 * * *'],
      excludeCalendar: [{ hour: '12' }],
      jitter: seconds(300),
      startTime: at('2022-03-23T00:00:00Z'),
      timezoneName: 'Europe/London',
    });
    expect(canonical.timezoneName).toBe('Europe/London');
    expect(canonical.jitter).toEqual(seconds(300));
    expect(canonical.startTime).toEqual(at('2022-03-23T00:00:00Z'));
    expect(canonical.excludeCalendar).toEqual([]);
    expect(canonical.excludeStructuredCalendar?.[0].hour).toEqual([one(12)]);
  });

  it('is accepted back as input and gives the same times', () => {
    const spec: ScheduleSpec = {
      cronString: ['CRON_TZ=Europe/Berlin 30 2 * * 1-5'],
      interval: [{ interval: seconds(7200) }],
    };
    const again = canonicalizeScheduleSpec(canonicalizeScheduleSpec(spec));
    expect(again).toEqual(canonicalizeScheduleSpec(spec));
    expect(walk(again, '2024-10-25T00:00:00Z', 6)).toEqual(walk(spec, '2024-10-25T00:00:00Z', 6));
  });
});

describe('invalid specs', () => {
  const table: [string, ScheduleSpec, string][] = [
    [
      'minute out of range',
      { cronString: ['61 * * * *'] },
      'invalid cron string "61 * * * *": minute value 61 out of range 0-59',
    ],
    [
      'too few fields',
      { cronString: ['* * * *'] },
      'invalid cron string "* * * *": expected 5 fields (minute hour day-of-month month day-of-week), 6 (plus year) or 7 (second first), found 4',
    ],
    [
      'zero step',
      { cronString: ['*/0 * * * *'] },
      'invalid cron string "*/0 * * * *": minute step "0" in "*/0" must be a positive integer',
    ],
    [
      'range backwards',
      { cronString: ['0 5-1 * * *'] },
      'invalid cron string "0 5-1 * * *": hour range "5-1" ends before it starts',
    ],
    [
      'unknown month name',
      { cronString: ['0 0 1 foo *'] },
      'invalid cron string "0 0 1 foo *": month value "foo" out of range 1-12 or a month name',
    ],
    [
      'year before 2000',
      { cronString: ['0 1 2 3 4 1999'] },
      'invalid cron string "0 1 2 3 4 1999": year value 1999 out of range 2000-2100',
    ],
    [
      '@every without duration',
      { cronString: ['@every'] },
      'invalid cron string "@every": "@every" needs a duration after it',
    ],
    [
      '@every bad unit',
      { cronString: ['@every 5x'] },
      'invalid cron string "@every 5x": invalid duration "5x": unknown unit "x"',
    ],
    ['bad calendar field', { calendar: [{ hour: '25' }] }, 'invalid calendar[0]: hour value 25 out of range 0-23'],
    [
      'bad exclude field',
      { excludeCalendar: [{ minute: '1-2-3' }] },
      'invalid excludeCalendar[0]: minute "1-2-3" has more than one "-"',
    ],
    [
      'structured hour 24',
      { structuredCalendar: [{ hour: [{ start: 0, end: 24 }] }] },
      'invalid structuredCalendar[0].hour[0]: end 24 is before start 0 or not in range 0-23',
    ],
    [
      'structured range backwards',
      { structuredCalendar: [{ hour: [{ start: 16, end: 12 }] }] },
      'invalid structuredCalendar[0].hour[0]: end 12 is before start 16',
    ],
    [
      'structured day of week 7',
      { structuredCalendar: [{ dayOfWeek: [{ start: 7 }] }] },
      'start 7 is not in range 0-6',
    ],
    [
      'structured negative step',
      { structuredCalendar: [{ second: [{ start: 30, end: 40, step: -3 }] }] },
      'step -3 is negative',
    ],
    [
      'negative interval',
      { interval: [{ interval: seconds(-3600) }] },
      'invalid interval[0]: interval -3600s is too small; it must be at least 1s',
    ],
    ['sub-second interval', { interval: [{ interval: seconds(0, 500_000_000) }] }, 'interval 0.5s is too small'],
    [
      'negative phase',
      { interval: [{ interval: seconds(60), phase: seconds(-1) }] },
      'invalid interval[0]: phase -1s is negative',
    ],
    [
      'phase not below interval',
      { interval: [{ interval: seconds(3 * 3600), phase: seconds(4 * 3600) }] },
      'invalid interval[0]: phase 14400s must be less than interval 10800s',
    ],
    [
      'unknown time zone',
      { cronString: ['@daily'], timezoneName: 'Mars/Olympus_Mons' },
      'invalid timezoneName: unknown time zone "Mars/Olympus_Mons"',
    ],
    ['time zone in the wrong case', { timezoneName: 'europe/berlin' }, 'unknown time zone "europe/berlin"'],
    ['unknown CRON_TZ', { cronString: ['CRON_TZ=Nowhere/Land 0 0 * * *'] }, 'unknown time zone "Nowhere/Land"'],
    [
      'CRON_TZ conflicting with timezoneName',
      { cronString: ['CRON_TZ=America/New_York 23 5,7 * * *'], timezoneName: 'Europe/London' },
      'conflicting time zones: cron string "CRON_TZ=America/New_York 23 5,7 * * *" says "America/New_York" but the spec\'s time zone is "Europe/London"',
    ],
    [
      'cron strings with different zones',
      { cronString: ['CRON_TZ=Europe/London 23 5,7 * * *', '23 5,7 * * *'] },
      'conflicting time zones in cron strings',
    ],
    ['timezoneData', { timezoneName: 'Custom', timezoneData: new Uint8Array([1, 2, 3]) }, 'invalid timezoneData'],
    [
      'comment too long',
      { calendar: [{ comment: 'x'.repeat(201) }] },
      'invalid structuredCalendar[0].comment: longer than 200 bytes',
    ],
  ];
  it.each(table)('%s', (_name, spec, message) => {
    expect(() => compileScheduleSpec(spec, 's')).toThrow(ScheduleSpecError);
    expect(() => compileScheduleSpec(spec, 's')).toThrow(message);
    expect(() => canonicalizeScheduleSpec(spec)).toThrow(message);
  });

  it('accepts what the server accepts at the edges', () => {
    expect(() =>
      compileScheduleSpec({ interval: [{ interval: seconds(1), phase: seconds(0, 999_999_999) }] }, 's'),
    ).not.toThrow();
    expect(() =>
      compileScheduleSpec({ cronString: ['TZ=Europe/Berlin 0 0 * * 7'], timezoneName: 'Europe/Berlin' }, 's'),
    ).not.toThrow();
    expect(() =>
      compileScheduleSpec({ calendar: [{ year: '2100', month: 'February', dayOfWeek: 'Su' }] }, 's'),
    ).not.toThrow();
    // Excludes are not validated by the server.
    expect(() => compileScheduleSpec({ excludeStructuredCalendar: [{ hour: [{ start: 99 }] }] }, 's')).not.toThrow();
  });
});

describe('int64 inputs', () => {
  it('accepts Long, number and string seconds alike', () => {
    // The generated types say Long, but decoders and hand-written objects also pass numbers or strings.
    const spec = (value: number | Long | string): ScheduleSpec => ({
      interval: [{ interval: { seconds: value as Long } }],
      startTime: { seconds: value as Long },
    });
    const expected = walk(spec(3600), '1970-01-01T00:00:00Z', 2);
    expect(expected).toEqual(['1970-01-01T01:00:00Z', '1970-01-01T02:00:00Z']);
    expect(walk(spec(Long.fromNumber(3600)), '1970-01-01T00:00:00Z', 2)).toEqual(expected);
    expect(walk(spec('3600'), '1970-01-01T00:00:00Z', 2)).toEqual(expected);
  });
});

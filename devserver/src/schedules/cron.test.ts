import { describe, expect, it } from 'vitest';
import { CronScheduleError, cronBackoffMs, nextCronTime, parseCronString, validateCronSchedule } from './cron';

const ms = (iso: string): number => Date.parse(iso);
const iso = (epochMs: number): string => new Date(epochMs).toISOString().replace('.000Z', 'Z');

function nextTimes(cron: string, afterIso: string, count: number): string[] {
  const schedule = parseCronString(cron);
  const times: string[] = [];
  let after = ms(afterIso);
  for (let i = 0; i < count; i++) {
    const next = nextCronTime(schedule, after);
    if (next === undefined) break;
    times.push(iso(next));
    after = next;
  }
  return times;
}

// Expected times were checked against robfig/cron v3, which the Temporal server uses for legacy cron.
describe('legacy cron next times', () => {
  const table: [string, string, string, string[]][] = [
    ['every 5 minutes', '*/5 * * * *', '2024-05-01T10:02:30Z', ['2024-05-01T10:05:00Z', '2024-05-01T10:10:00Z']],
    ['daily at 02:30', '30 2 * * *', '2024-05-01T02:30:00Z', ['2024-05-02T02:30:00Z', '2024-05-03T02:30:00Z']],
    ['weekdays at 09:00 by name', '0 9 * * MON-FRI', '2024-05-03T10:00:00Z', ['2024-05-06T09:00:00Z']],
    [
      'day of month OR day of week when both are restricted (the 13th, and Fridays)',
      '0 0 13 * fri',
      '2024-09-01T00:00:00Z',
      ['2024-09-06T00:00:00Z', '2024-09-13T00:00:00Z', '2024-09-20T00:00:00Z', '2024-09-27T00:00:00Z'],
    ],
    [
      'day of month AND day of week when one is a star',
      '0 0 13 * *',
      '2024-09-01T00:00:00Z',
      ['2024-09-13T00:00:00Z', '2024-10-13T00:00:00Z'],
    ],
    ['"?" is a star', '0 12 ? * ?', '2024-05-01T00:00:00Z', ['2024-05-01T12:00:00Z']],
    ['monthly on the 31st', '0 0 31 * *', '2024-01-31T00:00:00Z', ['2024-03-31T00:00:00Z', '2024-05-31T00:00:00Z']],
    ['@hourly', '@hourly', '2024-05-01T10:20:00Z', ['2024-05-01T11:00:00Z', '2024-05-01T12:00:00Z']],
    ['@daily', '@daily', '2024-05-01T10:20:00Z', ['2024-05-02T00:00:00Z']],
    ['@weekly (Sundays)', '@weekly', '2024-05-01T10:20:00Z', ['2024-05-05T00:00:00Z']],
    ['@monthly', '@monthly', '2024-05-01T10:20:00Z', ['2024-06-01T00:00:00Z']],
    ['@yearly', '@yearly', '2024-05-01T10:20:00Z', ['2025-01-01T00:00:00Z']],
    [
      '@every counts from the given time',
      '@every 1h30m',
      '2024-05-01T10:20:00.750Z',
      ['2024-05-01T11:50:00Z', '2024-05-01T13:20:00Z'],
    ],
    ['@every below a second is a second', '@every 500ms', '2024-05-01T10:20:00Z', ['2024-05-01T10:20:01Z']],
    [
      'New York: skipped 02:30 does not fire',
      'CRON_TZ=America/New_York 30 2 * * *',
      '2024-03-08T12:00:00Z',
      ['2024-03-09T07:30:00Z', '2024-03-11T06:30:00Z'],
    ],
    [
      'New York: repeated 01:30 fires twice',
      'CRON_TZ=America/New_York 30 1 * * *',
      '2024-11-02T12:00:00Z',
      ['2024-11-03T05:30:00Z', '2024-11-03T06:30:00Z', '2024-11-04T06:30:00Z'],
    ],
    [
      'Berlin: repeated 02:30 fires twice (robfig walks real hours; schedules fire once)',
      'TZ=Europe/Berlin 30 2 * * *',
      '2024-10-26T12:00:00Z',
      ['2024-10-27T00:30:00Z', '2024-10-27T01:30:00Z', '2024-10-28T01:30:00Z'],
    ],
  ];
  it.each(table)('%s', (_name, cron, after, expected) => {
    expect(nextTimes(cron, after, expected.length)).toEqual(expected);
  });

  it('gives up after five years without a match', () => {
    expect(nextCronTime(parseCronString('0 0 30 2 *'), ms('2024-01-01T00:00:00Z'))).toBeUndefined();
  });
});

describe('cronBackoffMs (the wait before the next run of a cron workflow)', () => {
  it('waits until the next cron time, rounded up to whole seconds', () => {
    expect(cronBackoffMs('*/5 * * * *', ms('2024-05-01T10:00:00.500Z'))).toBe(300_000);
    expect(cronBackoffMs('*/5 * * * *', ms('2024-05-01T10:03:20Z'))).toBe(100_000);
  });

  it('waits for the start time when it is still ahead', () => {
    expect(cronBackoffMs('@hourly', ms('2024-05-01T10:00:00Z'), ms('2024-05-01T10:00:02.100Z'))).toBe(3000);
  });

  it('skips the times missed while the last run went on', () => {
    // The run was scheduled for 03:00 two days ago and finished at 05:00 today: next is 03:00 tomorrow.
    expect(cronBackoffMs('0 3 * * *', ms('2024-05-03T05:00:00Z'), ms('2024-05-01T03:00:00Z'))).toBe(22 * 3_600_000);
  });

  it('counts @every from the scheduled time', () => {
    // Scheduled 10:00:00.300, now 12:30: times are 11:00, 12:00, 13:00.
    expect(cronBackoffMs('@every 1h', ms('2024-05-01T12:30:00Z'), ms('2024-05-01T10:00:00.300Z'))).toBe(1_800_000);
  });

  it('catches up across a year of every-minute times', () => {
    expect(cronBackoffMs('* * * * *', ms('2024-05-03T05:00:10.200Z'), ms('2023-05-01T03:00:00Z'))).toBe(50_000);
  });

  it('is undefined when the schedule never fires again', () => {
    expect(cronBackoffMs('0 0 30 2 *', ms('2024-05-03T05:00:00Z'), ms('2024-05-01T03:00:00Z'))).toBeUndefined();
  });
});

describe('parsing and validation', () => {
  it('reads fields, names, steps and the star flag', () => {
    const schedule = parseCronString('CRON_TZ=Europe/Berlin 0/15 9-17 * jan,JUL 1-5/2');
    expect(schedule.kind).toBe('fields');
    if (schedule.kind !== 'fields') return;
    expect(schedule.zone.name).toBe('Europe/Berlin');
    expect([...schedule.minute.allowed]).toEqual([0, 15, 30, 45]);
    expect([...schedule.hour.allowed]).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect([...schedule.month.allowed]).toEqual([1, 7]);
    expect([...schedule.dayOfWeek.allowed]).toEqual([1, 3, 5]);
    expect(schedule.dayOfMonth.star).toBe(true);
    expect(parseCronString('0 0 */2 * *')).toMatchObject({ dayOfMonth: { star: false } });
    expect(parseCronString('0 0 */1 * *')).toMatchObject({ dayOfMonth: { star: true } });
  });

  it('reads @every as whole seconds', () => {
    expect(parseCronString('@every 90m')).toEqual({ kind: 'every', delaySeconds: 5400 });
    expect(parseCronString('@every 2.9s')).toEqual({ kind: 'every', delaySeconds: 2 });
  });

  const invalid: [string, string][] = [
    ['', 'invalid cron schedule "": it is empty'],
    ['61 * * * *', 'invalid cron schedule "61 * * * *": minute value 61 out of range 0-59'],
    ['* * * *', 'expected exactly 5 fields (minute hour day-of-month month day-of-week), found 4'],
    ['0 0 * * * *', 'expected exactly 5 fields'],
    ['0 0 * * 7', 'day of week value 7 out of range 0-6'],
    ['0 0 * * monday', 'day of week "monday": "monday" is not a number or a name'],
    ['5-1 * * * *', 'minute range "5-1" ends before it starts'],
    ['*/0 * * * *', 'minute step in "*/0" must be a positive number'],
    ['1/2/3 * * * *', 'minute "1/2/3" has more than one "/"'],
    ['1-2-3 * * * *', 'minute "1-2-3" has more than one "-"'],
    ['0 0 0 * *', 'day of month value 0 out of range 1-31'],
    ['0 0 * * * # comment', 'expected exactly 5 fields'],
    ['@fortnightly', 'unknown descriptor "@fortnightly"'],
    ['@every 1d', 'invalid duration "1d": unknown unit "d"'],
    ['CRON_TZ=Mars/Base 0 0 * * *', 'unknown time zone "Mars/Base"'],
    ['CRON_TZ=Europe/Berlin', 'it has a time zone but no fields after it'],
  ];
  it.each(invalid)('rejects %j', (cron, message) => {
    expect(() => parseCronString(cron)).toThrow(CronScheduleError);
    expect(() => parseCronString(cron)).toThrow(message);
    expect(() => cronBackoffMs(cron, ms('2024-05-01T00:00:00Z'))).toThrow(message);
  });

  it('rejects a schedule that never fires, as StartWorkflowExecution does', () => {
    expect(() => validateCronSchedule('0 0 30 2 *', ms('2024-05-01T00:00:00Z'))).toThrow(
      'invalid cron schedule "0 0 30 2 *": it never fires (no matching time within five years)',
    );
    expect(validateCronSchedule('0 0 29 2 *', ms('2024-05-01T00:00:00Z')).kind).toBe('fields');
  });
});

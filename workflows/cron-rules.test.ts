/**
 * The schedule cron check against the devserver's parser of schedule cron strings (which follows
 * the server's): both must agree on every string, and a refusal names the field and the value.
 */
import { describe, expect, it } from 'vitest';
import { canonicalizeScheduleSpec } from '../devserver/src/schedules/spec';
import { checkScheduleRequest } from './cluster-rules';
import { cronProblem } from './cron-rules';

const CORPUS = [
  '0 * * * *',
  '0 99 * * *',
  '0 24 * * *',
  '0 23 * * *',
  '15 */6 * * *',
  '15 */0 * * *',
  '15 1-5/2 * * *',
  '15 5-1 * * *',
  '0 0 0 * *',
  '0 0 31 * *',
  '0 0 32 * *',
  '0 0 1 13 *',
  '0 0 1 jan *',
  '0 0 1 ja *',
  '0 0 1 january-mar *',
  '0 0 1 foo *',
  '0 0 * * 7',
  '0 0 * * 8',
  '0 0 * * mon-fri',
  '0 0 * * mo',
  '0 0 * * m',
  '0 0 * * sun,sat',
  '0 0 1,15 * *',
  '0 0 1,,15 * *',
  '0 0 1-2-3 * *',
  '0 0 */2/3 * *',
  '0 -1 * * *',
  '0 +3 * * *',
  '0 0 * *',
  '0 0 * * * *',
  '60 * * * *',
];

function devserverAccepts(cron: string): boolean {
  try {
    canonicalizeScheduleSpec({ cronString: [cron] });
    return true;
  } catch {
    return false;
  }
}

describe('cron strings of backup schedules', () => {
  it("agree with the server's grammar on every five-field string, and take no other", () => {
    for (const cron of CORPUS) {
      const fiveFields = cron.trim().split(/\s+/).length === 5;
      const expected = fiveFields && devserverAccepts(cron);
      expect({ cron, valid: cronProblem(cron) === undefined }).toEqual({ cron, valid: expected });
    }
  });

  it('name the field and the value that is wrong', () => {
    expect(cronProblem('0 99 * * *')).toBe('hour 99 is out of range 0-23');
    expect(cronProblem('0 0 1 foo *')).toBe('month "foo" is out of range 1-12 or a month name');
    expect(cronProblem('0 5-1 * * *')).toBe('hour range "5-1" ends before it starts');
    expect(cronProblem('0 */0 * * *')).toMatch(/^hour step "0"/);
    expect(cronProblem('0 0 * *')).toMatch(/has 4 fields/);
  });

  it('are refused by the shared rule as a bad request naming the cron field', () => {
    expect(() => checkScheduleRequest({ cron: '0 99 * * *', keep: 2 })).toThrow(
      'cron "0 99 * * *" is invalid: hour 99 is out of range 0-23',
    );
    expect(() => checkScheduleRequest({ cron: '30 2 * * mon-fri', keep: 2 })).not.toThrow();
  });
});

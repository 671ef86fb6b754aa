import { describe, expect, it } from 'vitest';
import { MissingRecoveryLineError } from './errors';
import { parseRecoveryLine } from './recovery';

const fields = { file: '/tmp/x.journal', records: 15692, namespaces: 1, runs: 2400, openRuns: 0 };
const line = `2026-11-22T00:10:01.000Z INFO journal recovered ${JSON.stringify({
  ...fields,
  events: 26400,
  schedules: 0,
  bytes: 17825792,
  durationMs: 1764,
})}`;

describe('parseRecoveryLine', () => {
  it('finds the line among the others and reads its figures', () => {
    const stderr = `temporal-devserver: warning: something\n${line}\n2026-11-22T00:10:01.100Z INFO temporal devserver listening {}\n`;
    expect(parseRecoveryLine(stderr)).toMatchObject({ runs: 2400, openRuns: 0, events: 26400, durationMs: 1764 });
  });

  it('says so when the line is missing or lacks a figure', () => {
    expect(() => parseRecoveryLine('INFO temporal devserver listening {}')).toThrow(MissingRecoveryLineError);
    const withoutDuration = `x INFO journal recovered ${JSON.stringify({ ...fields, events: 1, bytes: 1 })}`;
    expect(() => parseRecoveryLine(withoutDuration)).toThrow(/no numeric durationMs/);
  });
});

/**
 * `ScheduleSpec.cronString` entries, read as the server reads them (this is not the legacy
 * workflow cron grammar, see cron.ts): an optional `CRON_TZ=`/`TZ=` prefix, an optional `#`
 * comment, `@every <duration>[/<phase>]`, the `@hourly`-style shorthands, or 5 fields
 * (minute hour day-of-month month day-of-week), 6 (plus year) or 7 (second first, then the 6).
 * All fields must match (unlike classic cron, day of month and day of week are not OR-ed).
 */
import type { temporal } from '@temporalio/proto';
import Long from 'long';
import { CalendarFieldError, calendarToStructured } from './spec-calendar-parse';
import { DurationSyntaxError, parseTemporalDuration } from './spec-duration';
import { ScheduleSpecError } from './spec-errors';

export interface ParsedScheduleCronString {
  /** Set for calendar-style strings. */
  calendar?: temporal.api.schedule.v1.IStructuredCalendarSpec;
  /** Set for `@every`. */
  interval?: temporal.api.schedule.v1.IIntervalSpec;
  /** From the `CRON_TZ=`/`TZ=` prefix; empty when absent (and always empty for `@every`, as on the server). */
  timezoneName: string;
}

const SHORTHANDS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function nanosToDuration(nanos: bigint): temporal.api.schedule.v1.IIntervalSpec['interval'] {
  const seconds = nanos / 1_000_000_000n;
  return { seconds: Long.fromString(seconds.toString()), nanos: Number(nanos % 1_000_000_000n) };
}

export function parseScheduleCronString(cronString: string): ParsedScheduleCronString {
  const fail = (detail: string): never => {
    throw new ScheduleSpecError(`invalid cron string ${JSON.stringify(cronString)}: ${detail}`);
  };
  let text = cronString.trim();
  let timezoneName = '';
  if (text.startsWith('TZ=') || text.startsWith('CRON_TZ=')) {
    const space = text.indexOf(' ');
    if (space < 0) fail('it has a time zone but no fields after it');
    const prefix = text.slice(0, space);
    timezoneName = prefix.slice(prefix.indexOf('=') + 1);
    text = text.slice(space + 1);
  }
  const hash = text.indexOf('#');
  const comment = hash >= 0 ? text.slice(hash + 1).trim() : '';
  if (hash >= 0) text = text.slice(0, hash);
  text = text.trim();

  if (text.startsWith('@every')) {
    return { interval: parseEvery(text, fail), timezoneName: '' };
  }
  text = SHORTHANDS[text] ?? text;
  const fields = text.split(/\s+/).filter((field) => field !== '');
  if (fields.length < 5 || fields.length > 7) {
    fail(
      `expected 5 fields (minute hour day-of-month month day-of-week), 6 (plus year) or 7 (second first), ` +
        `found ${fields.length}`,
    );
  }
  const [second, rest] = fields.length === 7 ? [fields[0], fields.slice(1)] : ['', fields];
  const [minute, hour, dayOfMonth, month, dayOfWeek, year] = rest;
  try {
    const calendar = calendarToStructured({ second, minute, hour, dayOfMonth, month, dayOfWeek, year, comment });
    return { calendar, timezoneName };
  } catch (error) {
    if (error instanceof CalendarFieldError) return fail(error.detail);
    throw error;
  }
}

function parseEvery(text: string, fail: (detail: string) => never): temporal.api.schedule.v1.IIntervalSpec {
  const space = text.indexOf(' ');
  if (space < 0) fail('"@every" needs a duration after it, e.g. "@every 90m" or "@every 1d/2h" (interval/phase)');
  const [intervalText, phaseText] = splitOnce(text.slice(space + 1), '/');
  try {
    const interval = nanosToDuration(parseTemporalDuration(intervalText));
    if (phaseText === undefined || phaseText === '') return { interval };
    return { interval, phase: nanosToDuration(parseTemporalDuration(phaseText)) };
  } catch (error) {
    if (error instanceof DurationSyntaxError) return fail(error.message);
    throw error;
  }
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}

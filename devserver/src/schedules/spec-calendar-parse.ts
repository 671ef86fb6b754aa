/**
 * Legacy `CalendarSpec` strings ("*\/5", "1-5", "mon-fri", "jan,jul") to structured ranges, with
 * the server's grammar, defaults and quirks (month names are prefixes of at least three letters,
 * day names of at least two, day of week 7 means Sunday, `x/y` runs from x to the field's maximum).
 */
import type { temporal } from '@temporalio/proto';

type Range = temporal.api.schedule.v1.IRange;
type StructuredCalendarSpec = temporal.api.schedule.v1.IStructuredCalendarSpec;
type CalendarSpec = temporal.api.schedule.v1.ICalendarSpec;

/** A field string the grammar refuses; `detail` reads well after a prefix such as `invalid cron string "...": `. */
export class CalendarFieldError extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = new.target.name;
  }
}

/** Years the server accepts in calendars; later times are never scheduled. */
export const MIN_CALENDAR_YEAR = 2000;
export const MAX_CALENDAR_YEAR = 2100;

type NameKind = 'none' | 'month' | 'weekday';

interface FieldShape {
  label: string;
  /** Used when the string is empty. */
  defaultValue: string;
  min: number;
  max: number;
  names: NameKind;
}

const CALENDAR_FIELDS = {
  second: { label: 'second', defaultValue: '0', min: 0, max: 59, names: 'none' },
  minute: { label: 'minute', defaultValue: '0', min: 0, max: 59, names: 'none' },
  hour: { label: 'hour', defaultValue: '0', min: 0, max: 23, names: 'none' },
  dayOfMonth: { label: 'day of month', defaultValue: '*', min: 1, max: 31, names: 'none' },
  month: { label: 'month', defaultValue: '*', min: 1, max: 12, names: 'month' },
  year: { label: 'year', defaultValue: '*', min: MIN_CALENDAR_YEAR, max: MAX_CALENDAR_YEAR, names: 'none' },
  // 7 is accepted as another name for Sunday and rewritten to 0.
  dayOfWeek: { label: 'day of week', defaultValue: '*', min: 0, max: 7, names: 'weekday' },
} satisfies Record<string, FieldShape>;

const MONTH_NAMES = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const WEEKDAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** Go's `strconv.Atoi` accepts an optional sign and decimal digits only. */
function parseGoInt(text: string): number | undefined {
  return /^[+-]?\d+$/.test(text) ? Number(text) : undefined;
}

/** A number or (for months and weekdays) a name prefix; undefined when it is neither or out of [min, max]. */
function parseFieldValue(text: string, min: number, max: number, names: NameKind): number | undefined {
  let value: number | undefined;
  const lower = text.toLowerCase();
  if (names === 'month' && text.length >= 3) {
    const index = MONTH_NAMES.findIndex((name) => name.startsWith(lower));
    if (index >= 0) value = index + 1;
  } else if (names === 'weekday' && text.length >= 2) {
    const index = WEEKDAY_NAMES.findIndex((name) => name.startsWith(lower));
    if (index >= 0) value = index;
  }
  value ??= parseGoInt(text);
  return value !== undefined && value >= min && value <= max ? value : undefined;
}

function describeAccepted(field: FieldShape): string {
  const span = `${field.min}-${field.max}`;
  if (field.names === 'month') return `${span} or a month name`;
  if (field.names === 'weekday') return `${span} or a day name`;
  return span;
}

function valueError(field: FieldShape, text: string, what = 'value'): CalendarFieldError {
  const shown = parseGoInt(text) !== undefined ? text : JSON.stringify(text);
  return new CalendarFieldError(`${field.label} ${what} ${shown} out of range ${describeAccepted(field)}`);
}

/**
 * One field's string as ranges, in the server's compact form (end 0 when equal to start, step 0
 * for 1). The year field's `*` is the empty list, which means every year.
 */
function parseCalendarField(input: string | null | undefined, field: FieldShape): Range[] {
  let text = (input ?? '').trim();
  if (text === '') text = field.defaultValue;
  if (text === '*' && field === CALENDAR_FIELDS.year) return [];
  const ranges: Range[] = [];
  for (const item of text.split(',')) {
    let part = item;
    let step = 1;
    let hasStep = false;
    const slashes = part.split('/').length - 1;
    if (slashes > 1) throw new CalendarFieldError(`${field.label} "${item}" has more than one "/"`);
    if (slashes === 1) {
      const [before, after] = part.split('/');
      if (after === '') throw new CalendarFieldError(`${field.label} "${item}" has no step after "/"`);
      const parsedStep = parseGoInt(after);
      if (parsedStep === undefined || parsedStep < 1) {
        throw new CalendarFieldError(`${field.label} step "${after}" in "${item}" must be a positive integer`);
      }
      part = before;
      step = parsedStep;
      hasStep = true;
    }
    let start = field.min;
    let end = field.max;
    if (part !== '*') {
      if (part.includes('-')) {
        const pieces = part.split('-');
        if (pieces.length > 2) throw new CalendarFieldError(`${field.label} "${item}" has more than one "-"`);
        const parsedStart = parseFieldValue(pieces[0], field.min, field.max, field.names);
        if (parsedStart === undefined) throw valueError(field, pieces[0], 'range start');
        start = parsedStart;
        const parsedEnd = parseFieldValue(pieces[1], start, field.max, field.names);
        if (parsedEnd === undefined) {
          const asValue = parseFieldValue(pieces[1], field.min, field.max, field.names);
          if (asValue !== undefined) {
            throw new CalendarFieldError(`${field.label} range "${part}" ends before it starts`);
          }
          throw valueError(field, pieces[1], 'range end');
        }
        end = parsedEnd;
      } else {
        const parsed = parseFieldValue(part, field.min, field.max, field.names);
        if (parsed === undefined) throw valueError(field, part);
        start = parsed;
        // "x/y" runs from x to the maximum; a lone "x" is just x.
        if (!hasStep) end = start;
      }
    }
    if (field.names === 'weekday' && end === 7) {
      // 7 is Sunday, i.e. 0. A range that reaches 7 is cut to 6, and 0 is added as its own
      // range when the original steps onto 7 and 0 is not already covered from the start.
      if ((7 - start) % step === 0 && (step > 1 || start > 1)) {
        ranges.push({ start: 0, end: 0, step: 0 });
        if (start === 7) continue;
      }
      end = 6;
    }
    ranges.push({ start, end: start === end ? 0 : end, step: step === 1 ? 0 : step });
  }
  return ranges;
}

/** A legacy CalendarSpec as a StructuredCalendarSpec, defaults filled in as the server does. */
export function calendarToStructured(calendar: CalendarSpec): StructuredCalendarSpec {
  return {
    second: parseCalendarField(calendar.second, CALENDAR_FIELDS.second),
    minute: parseCalendarField(calendar.minute, CALENDAR_FIELDS.minute),
    hour: parseCalendarField(calendar.hour, CALENDAR_FIELDS.hour),
    dayOfMonth: parseCalendarField(calendar.dayOfMonth, CALENDAR_FIELDS.dayOfMonth),
    month: parseCalendarField(calendar.month, CALENDAR_FIELDS.month),
    year: parseCalendarField(calendar.year, CALENDAR_FIELDS.year),
    dayOfWeek: parseCalendarField(calendar.dayOfWeek, CALENDAR_FIELDS.dayOfWeek),
    comment: calendar.comment ?? '',
  };
}

/**
 * Cron strings of backup schedules, checked field by field with the grammar Temporal's server reads
 * schedule cron strings with (the devserver's `spec-calendar-parse.ts` follows it; the test holds
 * the two together): five fields, each a list of `*`, `v`, `a-b`, optionally `/step`; months also by
 * name prefix (3 letters or more), weekdays by name prefix (2 or more), weekday 7 is Sunday. Pure:
 * the API and the entity's Update validator share it, so a bad string is a 400 naming the field and
 * nothing is recorded.
 */

interface CronFieldShape {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Shortest name prefix accepted. */
  minPrefix?: number;
}

const MONTHS = [
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
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const FIELDS: readonly CronFieldShape[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, minPrefix: 3 },
  { name: 'day of week', min: 0, max: 7, names: WEEKDAYS, minPrefix: 2 },
];

/**
 * Why `cron` is not a valid five-field schedule cron string, naming the field and the value, or
 * undefined when it is valid. (How often it may fire is the schedule rules' business.)
 */
export function cronProblem(cron: string): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== FIELDS.length) {
    return `it has ${fields.length} field${fields.length === 1 ? '' : 's'}; give 5 (minute hour day-of-month month day-of-week)`;
  }
  for (const [index, text] of fields.entries()) {
    const problem = fieldProblem(text, FIELDS[index]!);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function fieldProblem(text: string, field: CronFieldShape): string | undefined {
  const accepted = `${field.min}-${field.max}${field.names ? ` or a ${field.name === 'month' ? 'month' : 'day'} name` : ''}`;
  for (const item of text.split(',')) {
    const [range, step, extra] = item.split('/');
    if (extra !== undefined) return `${field.name} "${item}" has more than one "/"`;
    if (step !== undefined && !(/^\d+$/.test(step) && Number(step) >= 1)) {
      return `${field.name} step "${step}" in "${item}" must be a whole number of at least 1`;
    }
    if (range === '*') continue;
    const bounds = range!.split('-');
    if (bounds.length > 2) return `${field.name} "${item}" has more than one "-"`;
    const start = valueOf(bounds[0]!, field, field.min);
    if (start === undefined)
      return `${field.name} ${bounds.length === 2 ? 'range start ' : ''}${show(bounds[0]!)} is out of range ${accepted}`;
    if (bounds.length === 2) {
      const end = valueOf(bounds[1]!, field, field.min);
      if (end === undefined) return `${field.name} range end ${show(bounds[1]!)} is out of range ${accepted}`;
      if (end < start) return `${field.name} range "${range}" ends before it starts`;
    }
  }
  return undefined;
}

function valueOf(text: string, field: CronFieldShape, min: number): number | undefined {
  const lower = text.toLowerCase();
  if (field.names && text.length >= (field.minPrefix ?? 1)) {
    const index = field.names.findIndex((name) => name.startsWith(lower));
    if (index >= 0) return index + (field.name === 'month' ? 1 : 0);
  }
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value >= min && value <= field.max ? value : undefined;
}

function show(text: string): string {
  return /^[+-]?\d+$/.test(text) ? text : JSON.stringify(text);
}

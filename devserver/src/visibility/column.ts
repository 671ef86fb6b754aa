/**
 * A search attribute as used in a query, and how its stored values are read for comparison.
 */
import { EXECUTION_STATUS, executionStatusNumber } from './attributes';
import { epochMillisToNanos } from './datetime';
import type { SearchAttributeType, VisibilityRecord, VisibilityValue } from './types';

/** How values of a column compare; ExecutionStatus is a Keyword whose values compare as enum numbers. */
export type ColumnKind = 'keyword' | 'status' | 'numeric' | 'bool' | 'datetime' | 'keywordList' | 'text';

export interface Column {
  /** The name as written in the query (what error messages quote). */
  alias: string;
  /** Canonical name: the record key. */
  name: string;
  type: SearchAttributeType;
  kind: ColumnKind;
}

/** A comparable value: strings for keywords, numbers for Int/Double/Bool/status, bigint ns for Datetime. */
export type Scalar = string | number | bigint;

const KIND_BY_TYPE: Readonly<Record<SearchAttributeType, ColumnKind>> = {
  Keyword: 'keyword',
  Text: 'text',
  Int: 'numeric',
  Double: 'numeric',
  Bool: 'bool',
  Datetime: 'datetime',
  KeywordList: 'keywordList',
};

export function makeColumn(alias: string, name: string, type: SearchAttributeType): Column {
  return { alias, name, type, kind: name === EXECUTION_STATUS ? 'status' : KIND_BY_TYPE[type] };
}

/** SQL NULL: absent, or an empty list (the server removes a search attribute set to an empty list). */
export const isMissing = (value: VisibilityValue | undefined): boolean =>
  value === undefined || (Array.isArray(value) && value.length === 0);

/** The record's value for a scalar column, or null when absent or not of the column's type. */
export function readScalar(record: VisibilityRecord, column: Column): Scalar | null {
  const value = record[column.name];
  switch (column.kind) {
    case 'keyword':
      return typeof value === 'string' ? value : null;
    case 'status':
      return typeof value === 'string' ? (executionStatusNumber(value) ?? null) : null;
    case 'numeric':
      return typeof value === 'number' && !Number.isNaN(value) ? value : null; // SQL has no NaN
    case 'bool':
      return typeof value === 'boolean' ? Number(value) : null;
    case 'datetime':
      return typeof value === 'number' && Number.isFinite(value) ? epochMillisToNanos(value) : null;
    default:
      return null;
  }
}

/** The record's keywords for a KeywordList column (a lone string counts as one keyword). */
export function readKeywords(record: VisibilityRecord, column: Column): readonly string[] | null {
  const value = record[column.name];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) && value.length > 0 ? value : null;
}

export function readText(record: VisibilityRecord, column: Column): string | null {
  const value = record[column.name];
  return typeof value === 'string' ? value : null;
}

/** String order of SQLite's BINARY collation (UTF-8 bytes, i.e. code points); numbers numerically. */
export function compareScalars(a: Scalar, b: Scalar): number {
  if (typeof a === 'string' || typeof b === 'string') return compareCodePoints(String(a), String(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** UTF-16 units sort surrogates below U+E000–U+FFFF; shifting them restores code point order. */
const codePointRank = (unit: number) =>
  unit >= 0xd800 && unit <= 0xdfff ? unit + 0x2000 : unit >= 0xe000 ? unit - 0x800 : unit;

function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const difference = codePointRank(a.charCodeAt(i)) - codePointRank(b.charCodeAt(i));
    if (difference !== 0) return Math.sign(difference);
  }
  return Math.sign(a.length - b.length);
}

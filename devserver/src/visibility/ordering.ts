/**
 * ORDER BY as Elasticsearch visibility applies it (SQL visibility has no ORDER BY): missing values sort
 * last in both directions; keywords (ExecutionStatus names included) by code point; a KeywordList by its
 * smallest item ascending and its largest descending.
 */
import { compareScalars, readKeywords, readScalar, type Column, type Scalar } from './column';
import type { VisibilityRecord } from './types';

export interface SortTerm {
  column: Column;
  descending: boolean;
}

export function compareRecords(terms: readonly SortTerm[], a: VisibilityRecord, b: VisibilityRecord): number {
  for (const term of terms) {
    const left = sortKey(a, term);
    const right = sortKey(b, term);
    if (left === null || right === null) {
      if (left !== right) return left === null ? 1 : -1;
      continue;
    }
    const order = compareScalars(left, right);
    if (order !== 0) return term.descending ? -order : order;
  }
  return 0;
}

function sortKey(record: VisibilityRecord, { column, descending }: SortTerm): Scalar | null {
  if (column.kind === 'status') {
    const name = record[column.name];
    return typeof name === 'string' ? name : null;
  }
  if (column.kind === 'keywordList') {
    const keywords = readKeywords(record, column);
    if (keywords === null) return null;
    const sorted = [...keywords].sort(compareScalars);
    return descending ? sorted[sorted.length - 1] : sorted[0];
  }
  return readScalar(record, column);
}

/**
 * Predicates over records with SQL's three-valued logic: a comparison with an absent attribute is
 * unknown (null), `NOT unknown` is unknown, and a record matches only when the whole filter is true.
 * KeywordList and Text comparisons are never unknown: SQLite evaluates them as `rowid [NOT] IN (FTS
 * match)`, so `!=` / `NOT IN` on them also match records without the attribute.
 */
import { compareScalars, isMissing, readKeywords, readScalar, readText, type Column, type Scalar } from './column';
import { invalidExpression } from './errors';
import { goQuote } from './go-format';
import { describeOperand, singleValue, type Operand } from './operands';
import type { ComparisonOperator, Expr } from './syntax';
import { foldKeyword, matchesAnyPhrase, startsWithIgnoringAsciiCase, textQueryWords, textTokens } from './text-match';
import type { VisibilityRecord } from './types';

export type Truth = boolean | null;
export type Predicate = (record: VisibilityRecord) => Truth;

export const always: Predicate = () => true;

export const and =
  (left: Predicate, right: Predicate): Predicate =>
  (record) => {
    const a = left(record);
    const b = right(record);
    if (a === false || b === false) return false;
    return a === null || b === null ? null : true;
  };

export const or =
  (left: Predicate, right: Predicate): Predicate =>
  (record) => {
    const a = left(record);
    const b = right(record);
    if (a === true || b === true) return true;
    return a === null || b === null ? null : false;
  };

export const not =
  (inner: Predicate): Predicate =>
  (record) => {
    const value = inner(record);
    return value === null ? null : !value;
  };

export function isNull(column: Column, negated: boolean): Predicate {
  return (record) => isMissing(record[column.name]) !== negated;
}

const ORDERING: Partial<Record<ComparisonOperator, (order: number) => boolean>> = {
  '=': (order) => order === 0,
  '!=': (order) => order !== 0,
  '<': (order) => order < 0,
  '>': (order) => order > 0,
  '<=': (order) => order <= 0,
  '>=': (order) => order >= 0,
};

/** `=`, `!=`, `<`…, `IN`, `NOT IN`, `STARTS_WITH` on Keyword, Int, Double, Bool, Datetime columns. */
export function scalarComparison(
  operator: ComparisonOperator,
  column: Column,
  operand: Operand,
  right: Expr,
): Predicate {
  const withValue =
    (test: (value: Scalar) => boolean): Predicate =>
    (record) => {
      const value = readScalar(record, column);
      return value === null ? null : test(value);
    };
  if (operator === 'in' || operator === 'not in') {
    const candidates = operand as Scalar[]; // the grammar only allows a tuple after IN
    const found = (value: Scalar) => candidates.some((candidate) => compareScalars(value, candidate) === 0);
    return withValue((value) => found(value) === (operator === 'in'));
  }
  if (operator === 'starts_with' || operator === 'not starts_with') {
    // The server turns STARTS_WITH into LIKE, which needs a literal string; status values are numbers.
    if (column.kind === 'status' || typeof operand !== 'string') {
      throw invalidExpression(
        `right-hand side of ${goQuote(operator)} operator must be a literal string (got: ${describeOperand(operand, column)})`,
      );
    }
    return withValue((value) => startsWithIgnoringAsciiCase(String(value), operand) === (operator === 'starts_with'));
  }
  const expected = singleValue(operand, right);
  const accepts = ORDERING[operator] as (order: number) => boolean; // callers only pass supported operators
  return withValue((value) => accepts(compareScalars(value, expected)));
}

/** `[NOT] BETWEEN from AND to`, inclusive. */
export function rangeComparison(negated: boolean, column: Column, from: Scalar, to: Scalar): Predicate {
  return (record) => {
    const value = readScalar(record, column);
    if (value === null) return null;
    const inside = compareScalars(value, from) >= 0 && compareScalars(value, to) <= 0;
    return inside !== negated;
  };
}

/** `=` / `IN` mean "contains one of"; `!=` / `NOT IN` mean "contains none of". */
export function keywordListComparison(
  operator: ComparisonOperator,
  column: Column,
  operand: Operand,
  right: Expr,
): Predicate {
  const wanted =
    operator === 'in' || operator === 'not in' ? (operand as Scalar[]) : [singleValue(operand, right, 'string')];
  // An empty FTS phrase matches nothing.
  const folded = new Set(wanted.map((value) => foldKeyword(String(value))).filter(Boolean));
  const positive = operator === '=' || operator === 'in';
  return (record) => {
    const keywords = readKeywords(record, column);
    const contains = keywords !== null && keywords.some((keyword) => folded.has(foldKeyword(keyword)));
    return contains === positive;
  };
}

/** `=` means "contains any word of the value" (as a phrase); `!=` means none. */
export function textComparison(operator: ComparisonOperator, column: Column, operand: Operand, right: Expr): Predicate {
  const words = textQueryWords(String(singleValue(operand, right, 'string')));
  if (words.length === 0) {
    throw invalidExpression('unexpected value for Text type search attribute (no tokens found)');
  }
  const phrases = words.map(textTokens);
  const positive = operator === '=';
  return (record) => {
    const text = readText(record, column);
    const matched = text !== null && matchesAnyPhrase(textTokens(text), phrases);
    return matched === positive;
  };
}

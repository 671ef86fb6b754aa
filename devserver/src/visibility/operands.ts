/**
 * Right-hand sides of comparisons: literal → typed value for the column, with the server's checks and
 * messages (QueryConverter.parseValueExpr / parseSQLVal / validateValueType in store/query/converter.go).
 */
import { EXECUTION_DURATION, EXECUTION_STATUS, executionStatusName, executionStatusNumber } from './attributes';
import type { Column, Scalar } from './column';
import { parseRfc3339Nanos } from './datetime';
import { parseDurationNanos } from './duration';
import { invalidExpression, notSupported } from './errors';
import { goPlain, goQuote, goSyntax, goTypeOf, sqlText, type GoValue } from './go-format';
import { goTypeName, type Expr } from './syntax';

/** One value, or the list of an IN tuple. */
export type Operand = Scalar | Scalar[];

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const GO_FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Converts the right side of a comparison (a literal, true/false, or a tuple of them) for `column`. */
export function convertOperand(expr: Expr, column: Column): Operand {
  switch (expr.kind) {
    case 'literal':
      return convertValue(parseLiteral(expr), column);
    case 'bool':
      return convertValue(expr.value, column);
    case 'tuple':
      return expr.items.map((item) => {
        const value = convertOperand(item, column);
        if (Array.isArray(value)) throw invalidExpression(`unexpected value type ${goTypeName(item)}`);
        return value;
      });
    case 'func':
      throw notSupported('nested func');
    case 'column':
      throw notSupported(
        `column name on the right side of comparison expression (did you forget to quote ${goQuote(sqlText(expr))}?)`,
      );
    default:
      throw invalidExpression(`unexpected value type ${goTypeName(expr)}`);
  }
}

/** A single value, rejecting a tuple where the operator needs one value. */
export function singleValue(operand: Operand, expr: Expr, expected = 'a single value'): Scalar {
  if (Array.isArray(operand)) {
    throw invalidExpression(`unexpected value type (expected ${expected}, got ${sqlText(expr)})`);
  }
  return operand;
}

/** How an operand reads in the server's "(got: …)" messages: status numbers by name. */
export function describeOperand(operand: Operand, column: Column): string {
  const describe = (value: Scalar): GoValue =>
    column.kind === 'status' && typeof value === 'number' ? (executionStatusName(value) ?? value) : value;
  return goPlain(Array.isArray(operand) ? operand.map(describe) : describe(operand));
}

/**
 * sqlquery.ParseValue: a quoted string (surrounding single quotes all trimmed, as the server does),
 * else an int64, else a float64.
 */
function parseLiteral(expr: Expr & { kind: 'literal' }): string | bigint | number {
  const text = expr.type === 'str' ? `'${expr.value}'` : expr.value;
  if (text.startsWith("'") && text.endsWith("'")) return text.replace(/^'+|'+$/g, '');
  if (/^[+-]?\d+$/.test(text)) {
    const integer = BigInt(text);
    if (integer >= INT64_MIN && integer <= INT64_MAX) return integer;
  }
  if (GO_FLOAT.test(text) && Number.isFinite(Number(text))) return Number(text);
  throw invalidExpression(`unable to parse value ${goQuote(sqlText(expr))}`);
}

function convertValue(value: GoValue, column: Column): Scalar {
  if (column.name === EXECUTION_STATUS) return executionStatusValue(value);
  if (column.name === EXECUTION_DURATION) return executionDurationValue(value);
  return validatedValue(value, column);
}

const unexpectedType = (value: GoValue, attribute: string) =>
  invalidExpression(`unexpected value type ${goTypeOf(value)} for search attribute ${attribute}`);

/** A status name ('Running', 'WORKFLOW_EXECUTION_STATUS_RUNNING') or enum number → enum number. */
function executionStatusValue(value: GoValue): number {
  if (typeof value === 'bigint') {
    const isKnown = value >= 0n && value <= 255n && executionStatusName(Number(value)) !== undefined;
    if (!isKnown) throw invalidExpression(`invalid ${EXECUTION_STATUS} value ${value}`);
    return Number(value);
  }
  if (typeof value !== 'string') throw unexpectedType(value, EXECUTION_STATUS);
  const number = executionStatusNumber(value);
  if (number === undefined) throw invalidExpression(`invalid ${EXECUTION_STATUS} value '${value}'`);
  return number;
}

/** Nanoseconds, or a duration string ('1h', '2d', '01:00:00'). */
function executionDurationValue(value: GoValue): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value !== 'string') throw unexpectedType(value, EXECUTION_DURATION);
  const nanos = parseDurationNanos(value);
  if (nanos === undefined) {
    throw invalidExpression(`invalid duration value for search attribute ${EXECUTION_DURATION}: ${value}`);
  }
  return nanos;
}

function validatedValue(value: GoValue, column: Column): Scalar {
  const wrongType = () =>
    invalidExpression(
      `invalid value type for search attribute ${column.alias} of type ${column.type}: ${goSyntax(value)} (type: ${goTypeOf(value)})`,
    );
  switch (column.type) {
    case 'Int':
    case 'Double':
      if (typeof value === 'bigint' || typeof value === 'number') return value;
      throw wrongType();
    case 'Bool':
      if (typeof value === 'boolean') return Number(value);
      throw wrongType();
    case 'Datetime': {
      if (typeof value === 'bigint') return value; // Unix nanoseconds
      if (typeof value !== 'string') throw wrongType();
      const nanos = parseRfc3339Nanos(value);
      if (nanos === undefined) throw invalidExpression(`unable to parse datetime '${value}'`);
      return nanos;
    }
    default: // Keyword, KeywordList, Text
      if (typeof value === 'string') return value;
      throw wrongType();
  }
}

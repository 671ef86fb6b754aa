/**
 * Formatting the way the server's Go code prints values in its error messages (%q, %v, %#v, %T), and the
 * way its SQL parser prints nodes, so our messages read the same.
 */
import { KEYWORDS } from './keywords';
import type { Expr } from './syntax';

/** A value as the server's converter holds it: string, int64 (bigint), float64 (number) or bool. */
export type GoValue = string | bigint | number | boolean;

/** Go's %q for a string. */
export function goQuote(text: string): string {
  return JSON.stringify(text).replace(/\\u00([0-9a-f]{2})/g, '\\x$1');
}

/** Go's %v / %g for a float64: shortest digits, exponent form when the exponent is < -4 or ≥ the precision. */
export function goFloat(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, exponentText] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  const digits = mantissa.replace(/[-.]/g, '').length;
  const pointPosition = exponent + 1;
  const precision = 6 > digits && digits >= pointPosition ? digits : 6;
  if (exponent < -4 || exponent >= precision) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return value.toFixed(Math.max(digits - pointPosition, 0));
}

/** Go's %v. */
export function goPlain(value: GoValue | GoValue[]): string {
  if (Array.isArray(value)) return `[${value.map((item) => goPlain(item)).join(' ')}]`;
  return typeof value === 'number' ? goFloat(value) : String(value);
}

/** Go's %#v. */
export function goSyntax(value: GoValue): string {
  return typeof value === 'string' ? goQuote(value) : goPlain(value);
}

/** Go's %T. */
export function goTypeOf(value: GoValue): string {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'bigint':
      return 'int64';
    case 'number':
      return 'float64';
    default:
      return 'bool';
  }
}

// MySQL string escapes the parser's printer uses.
const SQL_STRING_ESCAPES: Readonly<Record<string, string>> = {
  '\0': '\\0',
  "'": "\\'",
  '"': '\\"',
  '\b': '\\b',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\x1a': '\\Z',
  '\\': '\\\\',
};

const formatIdentifier = (name: string) =>
  /^[A-Za-z_@][A-Za-z0-9_@]*$/.test(name) && !KEYWORDS.has(name.toLowerCase())
    ? name
    : `\`${name.replace(/`/g, '``')}\``;

/** The SQL text the server's parser prints for a node (used where messages quote part of the query). */
export function sqlText(expr: Expr): string {
  switch (expr.kind) {
    case 'literal':
      if (expr.type === 'str') return `'${[...expr.value].map((c) => SQL_STRING_ESCAPES[c] ?? c).join('')}'`;
      if (expr.type === 'hex') return `X'${expr.value}'`;
      if (expr.type === 'bit') return `B'${expr.value}'`;
      return expr.value;
    case 'column':
      return [...expr.qualifier, expr.name].map(formatIdentifier).join('.');
    case 'tuple':
      return `(${expr.items.map(sqlText).join(', ')})`;
    case 'bool':
      return String(expr.value);
    case 'null':
      return 'null';
    case 'listArg':
      return expr.name;
    default:
      return expr.kind;
  }
}

import { describe, expect, it } from 'vitest';
import { parseQueryText } from './parser';
import type { Expr, SelectStatement } from './syntax';

/** A compact S-expression of the tree, to assert structure and precedence. */
function show(expr: Expr): string {
  switch (expr.kind) {
    case 'and':
    case 'or':
      return `(${expr.kind} ${show(expr.left)} ${show(expr.right)})`;
    case 'not':
    case 'paren':
      return `(${expr.kind} ${show(expr.expr)})`;
    case 'comparison':
      return `(${expr.operator} ${show(expr.left)} ${show(expr.right)}${expr.escape ? ` ${show(expr.escape)}` : ''})`;
    case 'range':
      return `(${expr.operator} ${show(expr.left)} ${show(expr.from)} ${show(expr.to)})`;
    case 'is':
      return `(${expr.operator} ${show(expr.expr)})`;
    case 'column':
      return [...expr.qualifier, expr.name].join('.');
    case 'literal':
      return `${expr.type}:${expr.value}`;
    case 'bool':
      return String(expr.value);
    case 'null':
      return 'NULL';
    case 'tuple':
      return `[${expr.items.map(show).join(' ')}]`;
    case 'binary':
      return `(${expr.operator} ${show(expr.left)} ${show(expr.right)})`;
    case 'unary':
      return `(u${expr.operator} ${show(expr.expr)})`;
    case 'func':
      return `${expr.name}(${expr.args.map(show).join(' ')})`;
    case 'listArg':
      return expr.name;
  }
}

const where = (query: string) => {
  const statement: SelectStatement = parseQueryText(query);
  return statement.where ? show(statement.where) : undefined;
};

const syntaxError = (query: string) => {
  try {
    parseQueryText(query);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(query)} to be rejected`);
};

describe('parseQueryText: structure', () => {
  it.each([
    // precedence: OR < AND < NOT < comparison / IS
    ['a = 1 and b = 2 or c = 3', '(or (and (= a int:1) (= b int:2)) (= c int:3))'],
    ['a = 1 or b = 2 and c = 3', '(or (= a int:1) (and (= b int:2) (= c int:3)))'],
    ['not a = 1 and b = 2', '(and (not (= a int:1)) (= b int:2))'],
    ['NOT a IS NULL', '(not (is null a))'],
    ['not not a = 1', '(not (not (= a int:1)))'],
    ['a = 1 IS NULL', '(is null (= a int:1))'],
    ['(a = 1 or b = 2) and c = 3', '(and (paren (or (= a int:1) (= b int:2))) (= c int:3))'],
    ['a = 1 && b = 2 || c = 3', '(or (and (= a int:1) (= b int:2)) (= c int:3))'],
    ['a = 1 + 2 * 3', '(= a (+ int:1 (* int:2 int:3)))'],
    ['a = 5 div 2 mod 3', '(= a (% (div int:5 int:2) int:3))'],
    // operators and their normal forms
    ['a <> 1', '(!= a int:1)'],
    ['a != 1', '(!= a int:1)'],
    ['a <= 1 and b >= 2', '(and (<= a int:1) (>= b int:2))'],
    ['a <=> 1', '(<=> a int:1)'],
    ['a in (1, 2)', '(in a [int:1 int:2])'],
    ["a not in ('x')", '(not in a [str:x])'],
    ['a between 1 and 2 and b = 3', '(and (between a int:1 int:2) (= b int:3))'],
    ['a not between 1 && 2', '(not between a int:1 int:2)'],
    ["a starts_with 'x'", '(starts_with a str:x)'],
    ["a NOT STARTS_WITH 'x'", '(not starts_with a str:x)'],
    ["a not like 'x%' escape '!'", '(not like a str:x% str:!)'],
    ["a rlike 'x'", '(regexp a str:x)'],
    ['a is not null', '(is not null a)'],
    ['a IS TRUE', '(is true a)'],
    // values
    ['a = -5', '(= a int:-5)'],
    ['a = - -5', '(= a int:5)'],
    ['a = +5', '(= a int:5)'],
    ['a = -5.5', '(= a (u- float:5.5))'],
    ['a = .5e3', '(= a float:.5e3)'],
    ['a = 0x1F', '(= a hexnum:0x1F)'],
    ["a = x'4142'", '(= a hex:4142)'],
    ["a = b'101'", '(= a bit:101)'],
    ['a = ?', '(= a valueArg::v1)'],
    ['a = null', '(= a NULL)'],
    ['a = TRUE', '(= a true)'],
    ['a = (1, 2)', '(= a [int:1 int:2])'],
    ['a = f(1, b)', '(= a f(int:1 b))'],
    // strings: either quote, doubled quotes, MySQL backslash escapes
    ['a = "x"', '(= a str:x)'],
    ["a = 'it''s'", "(= a str:it's)"],
    ["a = 'it\\'s'", "(= a str:it's)"],
    ['a = "say ""hi"""', '(= a str:say "hi")'],
    ["a = 'a\\tb\\%'", '(= a str:a\tb%)'],
    ["a = 'é'", '(= a str:é)'],
    // names: backquotes, keywords, qualifiers
    ['`Order` = 1', '(= Order int:1)'],
    ['`a``b` = 1', '(= a`b int:1)'],
    ['Status = 1', '(= status int:1)'],
    ['t.order = 1', '(= t.order int:1)'],
    // whitespace and comments
    ["  a='x'and b='y'  ", '(and (= a str:x) (= b str:y))'],
    ['a = 1 -- trailing', '(= a int:1)'],
    ['a = /* inline */ 1 # trailing', '(= a int:1)'],
    ['a = 1;', '(= a int:1)'],
  ])('%s', (query, tree) => {
    expect(where(query)).toBe(tree);
  });

  it('reads ORDER BY, GROUP BY, HAVING and LIMIT clauses', () => {
    const statement = parseQueryText('a = 1 group by b having c = 2 order by d desc, e limit 3 offset 1');
    expect(statement.groupBy.map(show)).toEqual(['b']);
    expect(statement.having && show(statement.having)).toBe('(= c int:2)');
    expect(statement.orderBy.map((item) => [show(item.expr), item.descending])).toEqual([
      ['d', true],
      ['e', false],
    ]);
    expect(statement.hasLimit).toBe(true);
  });

  it('accepts a query that is only ORDER BY or GROUP BY, and an empty query', () => {
    expect(parseQueryText('ORDER BY StartTime').orderBy).toHaveLength(1);
    expect(parseQueryText('group by ExecutionStatus').groupBy).toHaveLength(1);
    expect(parseQueryText('   ')).toEqual({ groupBy: [], orderBy: [], hasLimit: false });
  });
});

describe('parseQueryText: syntax errors (positions count from "select * from table1 where ")', () => {
  // Each expected message was produced by the server's own parser (temporalio/sqlparser).
  it.each([
    ['WorkflowId = ', 'syntax error at position 40'],
    ["WorkflowId = 'a' or", 'syntax error at position 47'],
    ["WorkflowId == 'a'", 'syntax error at position 41'],
    ["WorkflowId = 'a' and and", "syntax error at position 52 near 'and'"],
    ["WorkflowId = 'unterminated", "syntax error at position 54 near 'unterminated'"],
    ['WorkflowId in ()', 'syntax error at position 44'],
    ["WorkflowId in 'a'", "syntax error at position 45 near 'a'"],
    ["order = 'a'", "syntax error at position 33 near 'order'"],
    ["WorkflowId = 'a' where", "syntax error at position 50 near 'where'"],
    ['WorkflowId = 5abc', "syntax error at position 42 near '5'"],
    ["WorkflowId = 'a' $", "syntax error at position 46 near '$'"],
    ["`WorkflowId = 'a'", "syntax error at position 45 near 'WorkflowId = 'a''"],
    ["WorkflowId not 'a'", "syntax error at position 46 near 'a'"],
    ['CloseTime is 5', "syntax error at position 42 near '5'"],
    ["WorkflowId = 'a' = 'b'", 'syntax error at position 46'],
    ["WorkflowId = 'a' order by", 'syntax error at position 53'],
    ["WorkflowId = 'a';;", 'syntax error at position 46'],
    ['order  by StartTime', "syntax error at position 33 near 'order'"],
    [`${'not '.repeat(200)}WorkflowId = 'a'`, "max nesting level reached at position 827 near 'not'"],
    [`${'('.repeat(200)}WorkflowId = 'a'${')'.repeat(200)}`, 'max nesting level reached at position 228'],
    [Array(996).fill("WorkflowId = 'a'").join(' and '), 'max ast depth reached'],
  ])('%s', (query, message) => {
    expect(syntaxError(query)).toBe(`invalid query: malformed SQL query: ${message}`);
  });

  it('accepts the deepest trees the server accepts', () => {
    expect(() => parseQueryText(`${'not '.repeat(199)}WorkflowId = 'a'`)).not.toThrow();
    expect(() => parseQueryText(`${'('.repeat(199)}WorkflowId = 'a'${')'.repeat(199)}`)).not.toThrow();
    expect(() => parseQueryText(Array(995).fill("WorkflowId = 'a'").join(' and '))).not.toThrow();
  });

  it('quotes a byte the lexer rejects, as the server does', () => {
    expect(syntaxError("é = 'a'")).toBe(
      "invalid query: malformed SQL query: syntax error at position 29 near '\ufffd'",
    );
  });
});

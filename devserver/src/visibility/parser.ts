/**
 * Parses a visibility query the way the server does: it prefixes `select * from table1 where ` (no
 * `where` when the query starts with `order by` / `group by`) and parses that statement with MySQL
 * grammar and precedence (OR < AND < NOT < comparisons/IS < | < & < shifts < + - < * / div % mod < ^ <
 * unary). Syntax errors quote the position in that statement, as the server's do.
 *
 * Subqueries, CASE, EXISTS, INTERVAL, COLLATE, JSON operators, bind-list args in values and locking
 * clauses are not parsed; the server rejects all of them too, with other messages.
 */
import { malformedQuery } from './errors';
import { NON_RESERVED_KEYWORDS } from './keywords';
import {
  childrenOf,
  type ComparisonOperator,
  type Expr,
  type IsOperator,
  type OrderItem,
  type SelectStatement,
} from './syntax';
import { Tokenizer, type Token } from './tokenizer';

const STATEMENT_PREFIX = 'select * from table1 ';
const MAX_NESTING = 200;
const MAX_AST_DEPTH = 1000;
const COMPARE_OPERATORS = new Set(['=', '<', '>', '<=', '>=', '!=', '<=>']);
/** Binary value operators from lowest to highest precedence. */
const BINARY_LEVELS: readonly (readonly string[])[] = [
  ['|'],
  ['&'],
  ['<<', '>>'],
  ['+', '-'],
  ['*', '/', '%', 'div', 'mod'],
  ['^'],
];
const UNARY_OPERATORS = new Set(['+', '-', '~', '!']);
/** Keywords that can follow NOT inside a condition, with the operator they make. */
const NEGATABLE = new Set(['in', 'like', 'regexp', 'starts_with', 'between']);

export function parseQueryText(query: string): SelectStatement {
  let clauses = query.trim();
  const lowered = clauses.toLowerCase();
  if (clauses !== '' && !lowered.startsWith('order by') && !lowered.startsWith('group by')) {
    clauses = `where ${clauses}`;
  }
  const statement = new Parser(STATEMENT_PREFIX + clauses).parseStatement();
  checkDepth(statement);
  return statement;
}

class Parser {
  private readonly tokenizer: Tokenizer;
  private token: Token;
  private nesting = 0;

  constructor(sql: string) {
    this.tokenizer = new Tokenizer(sql);
    this.token = this.tokenizer.scan();
  }

  parseStatement(): SelectStatement {
    for (let i = 0; i < 4; i++) this.advance(); // select * from table1
    const statement: SelectStatement = { groupBy: [], orderBy: [], hasLimit: false };
    if (this.acceptKeyword('where')) statement.where = this.parseExpression();
    if (this.acceptKeyword('group')) {
      this.expectKeyword('by');
      statement.groupBy = this.parseExpressionList();
    }
    if (this.acceptKeyword('having')) statement.having = this.parseExpression();
    if (this.acceptKeyword('order')) {
      this.expectKeyword('by');
      statement.orderBy = this.parseOrderList();
    }
    if (this.acceptKeyword('limit')) {
      this.parseExpression();
      if (this.acceptOp(',') || this.acceptKeyword('offset')) this.parseExpression();
      statement.hasLimit = true;
    }
    this.acceptOp(';');
    if (this.token.kind !== 'eof') throw this.syntaxError();
    return statement;
  }

  private advance(): Token {
    const current = this.token;
    this.token = this.tokenizer.scan();
    return current;
  }

  private isKeyword(keyword: string): boolean {
    return this.token.keyword === keyword;
  }

  private isOp(symbol: string): boolean {
    return this.token.kind === 'op' && this.token.keyword === undefined && this.token.value === symbol;
  }

  private acceptKeyword(keyword: string): boolean {
    if (!this.isKeyword(keyword)) return false;
    this.advance();
    return true;
  }

  private acceptOp(symbol: string): boolean {
    if (!this.isOp(symbol)) return false;
    this.advance();
    return true;
  }

  private expectKeyword(keyword: string): void {
    if (!this.acceptKeyword(keyword)) throw this.syntaxError();
  }

  private syntaxError(token: Token = this.token) {
    return malformedQuery(`syntax error at position ${token.position}${nearText(token)}`);
  }

  /** Counts one level of `(`, NOT or unary operator, as the server's parser limits them. */
  private enter(token: Token): void {
    if (++this.nesting >= MAX_NESTING) {
      throw malformedQuery(`max nesting level reached at position ${token.position}${nearText(token)}`);
    }
  }

  private leave(): void {
    this.nesting--;
  }

  private openParen(): void {
    if (!this.isOp('(')) throw this.syntaxError();
    this.enter(this.advance());
  }

  private closeParen(): void {
    if (!this.acceptOp(')')) throw this.syntaxError();
    this.leave();
  }

  private parseExpressionList(): Expr[] {
    const items = [this.parseExpression()];
    while (this.acceptOp(',')) items.push(this.parseExpression());
    return items;
  }

  private parseOrderList(): OrderItem[] {
    const items: OrderItem[] = [];
    do {
      const expr = this.parseExpression();
      const descending = this.acceptKeyword('desc');
      if (!descending) this.acceptKeyword('asc');
      items.push({ expr, descending });
    } while (this.acceptOp(','));
    return items;
  }

  private parseExpression(): Expr {
    let left = this.parseAnd();
    while (this.acceptKeyword('or')) left = { kind: 'or', left, right: this.parseAnd() };
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.acceptKeyword('and')) left = { kind: 'and', left, right: this.parseNot() };
    return left;
  }

  private parseNot(): Expr {
    if (!this.isKeyword('not')) return this.parseIs();
    this.enter(this.advance());
    const expr = this.parseNot();
    this.leave();
    return { kind: 'not', expr };
  }

  private parseIs(): Expr {
    let expr = this.parseCondition();
    while (this.acceptKeyword('is')) {
      const negated = this.acceptKeyword('not');
      const suffix = this.token.keyword;
      if (suffix !== 'null' && suffix !== 'true' && suffix !== 'false') throw this.syntaxError();
      this.advance();
      expr = { kind: 'is', operator: `is ${negated ? 'not ' : ''}${suffix}` as IsOperator, expr };
    }
    return expr;
  }

  private parseCondition(): Expr {
    const left = this.parseValue();
    const token = this.token;
    if (token.kind === 'op' && token.keyword === undefined && COMPARE_OPERATORS.has(token.value)) {
      this.advance();
      return { kind: 'comparison', operator: token.value as ComparisonOperator, left, right: this.parseValue() };
    }
    const negated = this.acceptKeyword('not');
    const keyword = this.token.keyword;
    if (keyword === undefined || !NEGATABLE.has(keyword)) {
      if (negated) throw this.syntaxError();
      return left;
    }
    this.advance();
    const not = negated ? 'not ' : '';
    switch (keyword) {
      case 'in':
        return { kind: 'comparison', operator: `${not}in` as ComparisonOperator, left, right: this.parseColumnTuple() };
      case 'between': {
        const from = this.parseValue();
        this.expectKeyword('and');
        return { kind: 'range', operator: negated ? 'not between' : 'between', left, from, to: this.parseValue() };
      }
      case 'like': {
        const right = this.parseValue();
        const escape = this.acceptKeyword('escape') ? this.parseValue() : undefined;
        return { kind: 'comparison', operator: `${not}like` as ComparisonOperator, left, right, escape };
      }
      default: // regexp, starts_with
        return {
          kind: 'comparison',
          operator: `${not}${keyword}` as ComparisonOperator,
          left,
          right: this.parseValue(),
        };
    }
  }

  private parseColumnTuple(): Expr {
    if (this.token.kind === 'listArg') return { kind: 'listArg', name: this.advance().value };
    this.openParen();
    if (this.isKeyword('select')) throw this.syntaxError();
    const items = this.parseExpressionList();
    this.closeParen();
    return { kind: 'tuple', items };
  }

  private parseValue(level = 0): Expr {
    if (level === BINARY_LEVELS.length) return this.parseUnary();
    let left = this.parseValue(level + 1);
    for (;;) {
      const token = this.token;
      const symbol = token.kind === 'op' ? (token.keyword === undefined ? token.value : undefined) : token.keyword;
      if (symbol === undefined || !BINARY_LEVELS[level].includes(symbol)) return left;
      this.advance();
      const operator = symbol === 'mod' ? '%' : symbol;
      left = { kind: 'binary', operator, left, right: this.parseValue(level + 1) };
    }
  }

  private parseUnary(): Expr {
    const token = this.token;
    const isUnary =
      (token.kind === 'op' && token.keyword === undefined && UNARY_OPERATORS.has(token.value)) ||
      token.keyword === 'binary' ||
      token.keyword === '_binary';
    if (!isUnary) return this.parsePrimary();
    this.enter(this.advance());
    const expr = this.parseUnary();
    this.leave();
    // The parser folds a sign into an integer literal; anything else stays a unary expression.
    if (expr.kind === 'literal' && expr.type === 'int' && (token.value === '+' || token.value === '-')) {
      if (token.value === '+') return expr;
      return { ...expr, value: expr.value.startsWith('-') ? expr.value.slice(1) : `-${expr.value}` };
    }
    return { kind: 'unary', operator: token.value, expr };
  }

  private parsePrimary(): Expr {
    const token = this.token;
    switch (token.kind) {
      case 'string':
      case 'int':
      case 'float':
      case 'hexnum':
      case 'hex':
      case 'bit':
      case 'valueArg':
        this.advance();
        return { kind: 'literal', type: token.kind === 'string' ? 'str' : token.kind, value: token.value };
      case 'id':
        if (token.keyword === 'null') {
          this.advance();
          return { kind: 'null' };
        }
        if (token.keyword === 'true' || token.keyword === 'false') {
          this.advance();
          return { kind: 'bool', value: token.keyword === 'true' };
        }
        if (isIdentifier(token)) return this.parseColumnOrFunction();
        throw this.syntaxError();
      case 'op':
        if (this.isOp('(')) return this.parseParenthesized();
        throw this.syntaxError();
      default:
        throw this.syntaxError();
    }
  }

  private parseParenthesized(): Expr {
    this.openParen();
    if (this.isKeyword('select')) throw this.syntaxError();
    const items = this.parseExpressionList();
    this.closeParen();
    return items.length === 1 ? { kind: 'paren', expr: items[0] } : { kind: 'tuple', items };
  }

  private parseColumnOrFunction(): Expr {
    const parts = [this.advance().value];
    while (parts.length < 3 && this.isOp('.')) {
      this.advance();
      // After a qualifier any word is a name, reserved keywords included.
      if (this.token.kind !== 'id') throw this.syntaxError();
      parts.push(this.advance().value);
    }
    if (parts.length <= 2 && this.isOp('(')) return this.parseFunctionCall(parts.join('.'));
    return { kind: 'column', name: parts[parts.length - 1], qualifier: parts.slice(0, -1) };
  }

  private parseFunctionCall(name: string): Expr {
    this.openParen();
    const args: Expr[] = [];
    if (!this.isOp(')')) {
      do {
        if (!this.acceptOp('*')) args.push(this.parseExpression());
      } while (this.acceptOp(','));
    }
    this.closeParen();
    return { kind: 'func', name, args };
  }
}

const nearText = (token: Token) => (token.near ? ` near '${token.near}'` : '');

const isIdentifier = (token: Token) =>
  token.kind === 'id' &&
  (token.quoted === true || token.keyword === undefined || NON_RESERVED_KEYWORDS.has(token.keyword));

/** Rejects trees deeper than the server's parser allows (it counts from the statement node). */
function checkDepth(statement: SelectStatement): void {
  const tooDeep = (expr: Expr, depth: number): boolean => {
    if (depth >= MAX_AST_DEPTH) return true;
    if (expr.kind === 'column') return depth + 2 >= MAX_AST_DEPTH; // its name and (empty) table are two more levels
    return childrenOf(expr).some((child) => tooDeep(child, depth + 1));
  };
  const roots: [Expr | undefined, number][] = [
    [statement.where, 2],
    [statement.having, 2],
    ...statement.groupBy.map((expr): [Expr, number] => [expr, 2]),
    ...statement.orderBy.map((item): [Expr, number] => [item.expr, 3]),
  ];
  if (roots.some(([expr, depth]) => expr !== undefined && tooDeep(expr, depth))) {
    throw malformedQuery('max ast depth reached');
  }
}

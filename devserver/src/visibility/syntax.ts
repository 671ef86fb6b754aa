/**
 * Syntax tree of a visibility query. Node kinds mirror the server parser's node types because several of
 * the server's error messages name them (e.g. "must be a column name but was *sqlparser.SQLVal").
 */

export type LiteralType = 'str' | 'int' | 'float' | 'hexnum' | 'hex' | 'bit' | 'valueArg';

export type ComparisonOperator =
  | '='
  | '!='
  | '<'
  | '>'
  | '<='
  | '>='
  | '<=>'
  | 'in'
  | 'not in'
  | 'like'
  | 'not like'
  | 'regexp'
  | 'not regexp'
  | 'starts_with'
  | 'not starts_with';

export type IsOperator = 'is null' | 'is not null' | 'is true' | 'is not true' | 'is false' | 'is not false';

export type Expr =
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'not'; expr: Expr }
  | { kind: 'paren'; expr: Expr }
  | { kind: 'comparison'; operator: ComparisonOperator; left: Expr; right: Expr; escape?: Expr }
  | { kind: 'range'; operator: 'between' | 'not between'; left: Expr; from: Expr; to: Expr }
  | { kind: 'is'; operator: IsOperator; expr: Expr }
  /** `name` is the identifier as parsed; `qualifier` holds any `a.` / `a.b.` prefix. */
  | { kind: 'column'; name: string; qualifier: string[] }
  | { kind: 'literal'; type: LiteralType; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' }
  | { kind: 'tuple'; items: Expr[] }
  | { kind: 'listArg'; name: string }
  | { kind: 'binary'; operator: string; left: Expr; right: Expr }
  | { kind: 'unary'; operator: string; expr: Expr }
  | { kind: 'func'; name: string; args: Expr[] };

export interface OrderItem {
  expr: Expr;
  descending: boolean;
}

/** The clauses of `select * from t [where …] [group by …] [having …] [order by …] [limit …]`. */
export interface SelectStatement {
  where?: Expr;
  groupBy: Expr[];
  having?: Expr;
  orderBy: OrderItem[];
  hasLimit: boolean;
}

const GO_TYPE_NAMES: Readonly<Record<Expr['kind'], string>> = {
  and: '*sqlparser.AndExpr',
  or: '*sqlparser.OrExpr',
  not: '*sqlparser.NotExpr',
  paren: '*sqlparser.ParenExpr',
  comparison: '*sqlparser.ComparisonExpr',
  range: '*sqlparser.RangeCond',
  is: '*sqlparser.IsExpr',
  column: '*sqlparser.ColName',
  literal: '*sqlparser.SQLVal',
  bool: 'sqlparser.BoolVal',
  null: '*sqlparser.NullVal',
  tuple: 'sqlparser.ValTuple',
  listArg: 'sqlparser.ListArg',
  binary: '*sqlparser.BinaryExpr',
  unary: '*sqlparser.UnaryExpr',
  func: '*sqlparser.FuncExpr',
};

/** The server parser's Go type name for a node, as its error messages print it. */
export const goTypeName = (expr: Expr): string => GO_TYPE_NAMES[expr.kind];

/** Children of a node, for depth checks. */
export function childrenOf(expr: Expr): Expr[] {
  switch (expr.kind) {
    case 'and':
    case 'or':
    case 'binary':
      return [expr.left, expr.right];
    case 'not':
    case 'paren':
    case 'is':
    case 'unary':
      return [expr.expr];
    case 'comparison':
      return expr.escape ? [expr.left, expr.right, expr.escape] : [expr.left, expr.right];
    case 'range':
      return [expr.left, expr.from, expr.to];
    case 'tuple':
      return expr.items;
    case 'func':
      return expr.args;
    default:
      return [];
  }
}

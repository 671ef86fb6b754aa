/**
 * Turns a parsed statement into a filter, sort order and grouping, validating it as the server's unified
 * query converter does (store/query/converter.go) with SQL visibility's rules on top
 * (store/sql/visibility_store.go, plugin sqlite): which operators each type takes, which values, which
 * clauses.
 */
import { isReservedName, NAMESPACE_DIVISION, resolveAttribute } from './attributes';
import { makeColumn, type Column } from './column';
import { invalidExpression, notSupported, VisibilityQueryError } from './errors';
import { goQuote } from './go-format';
import { convertOperand, singleValue } from './operands';
import {
  always,
  and,
  isNull,
  keywordListComparison,
  not,
  or,
  rangeComparison,
  scalarComparison,
  textComparison,
  type Predicate,
} from './predicates';
import { goTypeName, type ComparisonOperator, type Expr, type SelectStatement } from './syntax';
import type { ParseVisibilityQueryOptions, SearchAttributeType } from './types';

const COMPARISON_OPERATORS: ReadonlySet<ComparisonOperator> = new Set([
  '=',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  'in',
  'not in',
]);
const OPERATORS_BY_TYPE: Readonly<Partial<Record<SearchAttributeType, ReadonlySet<ComparisonOperator>>>> = {
  Keyword: new Set([...COMPARISON_OPERATORS, 'starts_with', 'not starts_with']),
  KeywordList: new Set(['=', '!=', 'in', 'not in']),
  Text: new Set(['=', '!=']),
};
const RANGE_TYPES: ReadonlySet<SearchAttributeType> = new Set(['Datetime', 'Double', 'Int', 'Keyword']);
const GROUP_BY_FIELDS = new Set(['ExecutionStatus', NAMESPACE_DIVISION]);
const GROUP_BY_PREFIX = 'TemporalLowCardinalityKeyword';
const SCHEDULE_FILTERABLE_SYSTEM_ATTRIBUTE = 'TemporalSchedulePaused';

export interface ConvertedQuery {
  predicate: Predicate;
  orderBy: { column: Column; descending: boolean }[];
  groupBy: Column[];
}

export function convertStatement(
  statement: SelectStatement,
  customAttributes: Readonly<Record<string, SearchAttributeType>>,
  options: ParseVisibilityQueryOptions,
): ConvertedQuery {
  return new Converter(customAttributes).convert(statement, options);
}

class Converter {
  private seenNamespaceDivision = false;
  /** Attribute names as written, in query order (ListSchedules validates them). */
  private readonly aliases: string[] = [];

  constructor(private readonly customAttributes: Readonly<Record<string, SearchAttributeType>>) {}

  convert(statement: SelectStatement, options: ParseVisibilityQueryOptions): ConvertedQuery {
    if (statement.hasLimit) throw notSupported("'LIMIT' clause");
    // The server ignores HAVING without applying it; rejecting it is safer than silently dropping a filter.
    if (statement.having) throw notSupported("'HAVING' clause");
    let predicate = statement.where ? this.convertWhere(statement.where) : always;

    if (statement.groupBy.length > 1) throw notSupported("'GROUP BY' clause supports only a single field");
    const groupBy = statement.groupBy.map((expr) => {
      const column = this.resolveColumn(expr);
      if (!GROUP_BY_FIELDS.has(column.name) && !column.name.startsWith(GROUP_BY_PREFIX)) {
        throw notSupported(`'GROUP BY' clause is not supported for search attribute ${column.alias}`);
      }
      return column;
    });
    const orderBy = statement.orderBy.map(({ expr, descending }) => {
      const column = this.resolveColumn(expr);
      if (column.type === 'Text') throw notSupported(`unable to sort by search attribute type ${column.type}`);
      return { column, descending };
    });

    if (orderBy.length > 0 && !options.allowOrderBy) throw notSupported("'ORDER BY' clause");
    if (groupBy.length > 0 && !options.allowGroupBy) throw notSupported("'GROUP BY' clause");
    if (orderBy.length > 0 && groupBy.length > 0) {
      throw notSupported("'order by' clause is not supported with 'group by' clause");
    }
    if (options.forSchedules) {
      this.checkScheduleFilter();
    } else if (!this.seenNamespaceDivision) {
      // Executions in a namespace division (e.g. internal scheduler workflows) are only listed by
      // queries that mention TemporalNamespaceDivision.
      predicate = and(isNull(namespaceDivisionColumn, false), predicate);
    }
    return { predicate, orderBy, groupBy };
  }

  private checkScheduleFilter(): void {
    const forbidden = this.aliases.find(
      (alias) => isReservedName(alias) && alias !== SCHEDULE_FILTERABLE_SYSTEM_ATTRIBUTE,
    );
    if (forbidden !== undefined) {
      throw new VisibilityQueryError(`invalid query filter for schedules: cannot filter on ${goQuote(forbidden)}`);
    }
  }

  private convertWhere(expr: Expr): Predicate {
    switch (expr.kind) {
      case 'paren':
        return this.convertWhere(expr.expr);
      case 'not':
        return not(this.convertWhere(expr.expr));
      case 'and':
      case 'or': {
        const left = this.convertWhere(expr.left);
        const right = this.convertWhere(expr.right);
        return expr.kind === 'and' ? and(left, right) : or(left, right);
      }
      case 'comparison':
        return this.convertComparison(expr);
      case 'range':
        return this.convertRange(expr);
      case 'is': {
        const column = this.resolveColumn(expr.expr);
        if (expr.operator !== 'is null' && expr.operator !== 'is not null') {
          throw invalidExpression("'IS' operator can only be used as 'IS NULL' or 'IS NOT NULL'");
        }
        return isNull(column, expr.operator === 'is not null');
      }
      case 'func':
        throw notSupported('function expression');
      case 'column':
        throw invalidExpression('incomplete expression');
      default:
        throw notSupported(`expression of type ${goTypeName(expr)}`);
    }
  }

  private convertComparison(expr: Expr & { kind: 'comparison' }): Predicate {
    const column = this.resolveColumn(expr.left);
    const operand = convertOperand(expr.right, column);
    const supported = OPERATORS_BY_TYPE[column.type] ?? COMPARISON_OPERATORS;
    if (!supported.has(expr.operator)) {
      throw notSupported(
        `operator '${expr.operator.toUpperCase()}' not supported for ${column.type} type search attribute '${column.alias}'`,
      );
    }
    switch (column.kind) {
      case 'keywordList':
        return keywordListComparison(expr.operator, column, operand, expr.right);
      case 'text':
        return textComparison(expr.operator, column, operand, expr.right);
      default:
        return scalarComparison(expr.operator, column, operand, expr.right);
    }
  }

  private convertRange(expr: Expr & { kind: 'range' }): Predicate {
    const column = this.resolveColumn(expr.left);
    if (!RANGE_TYPES.has(column.type)) {
      throw invalidExpression(`cannot do range condition on search attribute '${column.alias}' of type ${column.type}`);
    }
    const from = singleValue(convertOperand(expr.from, column), expr.from);
    const to = singleValue(convertOperand(expr.to, column), expr.to);
    return rangeComparison(expr.operator === 'not between', column, from, to);
  }

  private resolveColumn(expr: Expr): Column {
    if (expr.kind !== 'column') throw invalidExpression(`must be a column name but was ${goTypeName(expr)}`);
    // The server prints the name (backquoting where needed) and then strips every backquote.
    const alias = [...expr.qualifier, expr.name].join('.').replace(/`/g, '');
    const attribute = resolveAttribute(alias, this.customAttributes);
    if (!attribute) throw invalidExpression(`column name '${alias}' is not a valid search attribute`);
    if (attribute.name === NAMESPACE_DIVISION) this.seenNamespaceDivision = true;
    this.aliases.push(alias);
    return makeColumn(alias, attribute.name, attribute.type);
  }
}

const namespaceDivisionColumn = makeColumn(NAMESPACE_DIVISION, NAMESPACE_DIVISION, 'Keyword');

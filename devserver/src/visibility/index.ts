/**
 * Temporal's visibility list-filter language (ListWorkflowExecutions, CountWorkflowExecutions,
 * ScanWorkflowExecutions, ListSchedules queries), parsed, validated and evaluated as the Temporal server
 * does with SQL visibility (the SQLite store of the CLI dev server). Error messages are the server's.
 */
import { convertStatement } from './converter';
import { compareRecords } from './ordering';
import { parseQueryText } from './parser';
import type { ParsedVisibilityQuery, ParseVisibilityQueryOptions, SearchAttributeType } from './types';

export { SYSTEM_SEARCH_ATTRIBUTES } from './attributes';
export { VisibilityQueryError } from './errors';
export type {
  OrderByTerm,
  ParsedVisibilityQuery,
  ParseVisibilityQueryOptions,
  SearchAttributeType,
  VisibilityRecord,
  VisibilityValue,
} from './types';

/**
 * Parses `query` against the system attributes plus `customAttributes`. Throws VisibilityQueryError with
 * the message the server's INVALID_ARGUMENT carries. An empty query matches every execution.
 */
export function parseVisibilityQuery(
  query: string,
  customAttributes: Readonly<Record<string, SearchAttributeType>>,
  options: ParseVisibilityQueryOptions = {},
): ParsedVisibilityQuery {
  const { predicate, orderBy, groupBy } = convertStatement(parseQueryText(query), customAttributes, options);
  return {
    matches: (record) => predicate(record) === true,
    orderBy: orderBy.map(({ column, descending }) => ({ attribute: column.name, descending })),
    groupBy: groupBy.map((column) => column.name),
    compare: (a, b) => compareRecords(orderBy, a, b),
  };
}

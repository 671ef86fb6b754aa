/** Public types of the visibility list-filter module. */

export type SearchAttributeType = 'Keyword' | 'Text' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

/**
 * Values as the devserver stores them: Datetime = epoch milliseconds; KeywordList = string[];
 * ExecutionStatus = its name ('Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'ContinuedAsNew',
 * 'TimedOut', 'Paused'); ExecutionDuration = nanoseconds (the server's unit for that Int attribute).
 */
export type VisibilityValue = string | number | boolean | string[];

/** One execution's attributes keyed by canonical name (e.g. 'WorkflowId', 'CustomKeywordField'). */
export type VisibilityRecord = Readonly<Record<string, VisibilityValue | undefined>>;

export interface OrderByTerm {
  attribute: string;
  descending: boolean;
}

export interface ParsedVisibilityQuery {
  matches(record: VisibilityRecord): boolean;
  /** Sort order; empty = server default (the devserver applies StartTime DESC, RunId). */
  orderBy: OrderByTerm[];
  /** Only for COUNT: e.g. ['ExecutionStatus']. */
  groupBy: string[];
  /**
   * Orders two records by `orderBy` the way Elasticsearch visibility sorts (missing values last in both
   * directions); 0 when `orderBy` is empty or the records tie, so callers append their own tie-breakers.
   */
  compare(a: VisibilityRecord, b: VisibilityRecord): number;
}

export interface ParseVisibilityQueryOptions {
  /** Accept `GROUP BY` (CountWorkflowExecutions). Default false, as List rejects it. */
  allowGroupBy?: boolean;
  /**
   * Accept `ORDER BY`. Default false: SQL visibility (the CLI dev server's SQLite) rejects it; only
   * Elasticsearch visibility sorts.
   */
  allowOrderBy?: boolean;
  /**
   * Validate as ListSchedules does: only custom attributes and TemporalSchedulePaused may be used, and no
   * implicit `TemporalNamespaceDivision IS NULL` filter is added (schedules are listed from their own set).
   */
  forSchedules?: boolean;
}

/**
 * The search attributes the server defines itself, and how a name written in a query resolves to one
 * (common/searchattribute/sadefs/constants.go and store/query/converter.go in temporalio/temporal).
 */
import type { SearchAttributeType } from './types';

/** Stored as separate columns in SQL visibility; always present on every execution. */
const SYSTEM: Readonly<Record<string, SearchAttributeType>> = {
  WorkflowId: 'Keyword',
  RunId: 'Keyword',
  WorkflowType: 'Keyword',
  StartTime: 'Datetime',
  ExecutionTime: 'Datetime',
  CloseTime: 'Datetime',
  // Keyword for operator purposes, but values are status names converted to the enum number.
  ExecutionStatus: 'Keyword',
  TaskQueue: 'Keyword',
  HistoryLength: 'Int',
  // Nanoseconds; values may also be written as durations ('1h30m', '2d', '01:30:00').
  ExecutionDuration: 'Int',
  StateTransitionCount: 'Int',
  HistorySizeBytes: 'Int',
  ParentWorkflowId: 'Keyword',
  ParentRunId: 'Keyword',
  RootWorkflowId: 'Keyword',
  RootRunId: 'Keyword',
};

/** Set by the server or SDKs inside the search-attribute map; queryable like custom ones. */
const PREDEFINED: Readonly<Record<string, SearchAttributeType>> = {
  TemporalChangeVersion: 'KeywordList',
  BinaryChecksums: 'KeywordList',
  BuildIds: 'KeywordList',
  BatcherNamespace: 'Keyword',
  BatcherUser: 'Keyword',
  TemporalScheduledStartTime: 'Datetime',
  TemporalScheduledById: 'Keyword',
  TemporalSchedulePaused: 'Bool',
  TemporalNamespaceDivision: 'Keyword',
  TemporalPauseInfo: 'KeywordList',
  TemporalReportedProblems: 'KeywordList',
  TemporalWorkerDeploymentVersion: 'Keyword',
  TemporalWorkflowVersioningBehavior: 'Keyword',
  TemporalWorkerDeployment: 'Keyword',
  TemporalUsedWorkerDeploymentVersions: 'KeywordList',
  TemporalExternalPayloadCount: 'Int',
  TemporalExternalPayloadSizeBytes: 'Int',
};

export const SYSTEM_SEARCH_ATTRIBUTES: Readonly<Record<string, SearchAttributeType>> = Object.freeze({
  ...SYSTEM,
  ...PREDEFINED,
});

export const NAMESPACE_DIVISION = 'TemporalNamespaceDivision';
export const EXECUTION_STATUS = 'ExecutionStatus';
export const EXECUTION_DURATION = 'ExecutionDuration';
const WORKFLOW_ID = 'WorkflowId';
const SCHEDULE_ID = 'ScheduleId';
const RESERVED_PREFIX = 'Temporal';
/** Internal field names that are neither system nor predefined but still reserved. */
const RESERVED_FIELDS = new Set(['NamespaceId', 'MemoEncoding', 'Memo', 'VisibilityTaskKey']);

export interface ResolvedAttribute {
  /** Canonical name: the key in a VisibilityRecord. */
  name: string;
  type: SearchAttributeType;
}

const hasOwn = (map: Readonly<Record<string, unknown>>, key: string) => Object.prototype.hasOwnProperty.call(map, key);

/**
 * Resolves a name as written in a query, in the server's order: a custom attribute (unless the name is a
 * system one), a system attribute, `ScheduleId` as an alias of WorkflowId, then the name with the
 * `Temporal` prefix added or removed (so `TemporalWorkflowId` and `ChangeVersion` both work).
 * System attributes win over a custom attribute of the same name.
 */
export function resolveAttribute(
  alias: string,
  custom: Readonly<Record<string, SearchAttributeType>>,
): ResolvedAttribute | undefined {
  const lookup = (name: string): ResolvedAttribute | undefined => {
    if (hasOwn(SYSTEM_SEARCH_ATTRIBUTES, name)) return { name, type: SYSTEM_SEARCH_ATTRIBUTES[name] };
    if (hasOwn(custom, name)) return { name, type: custom[name] };
    return undefined;
  };
  const direct = lookup(alias);
  if (direct) return direct;
  const withoutPrefix = alias.startsWith(RESERVED_PREFIX) ? alias.slice(RESERVED_PREFIX.length) : undefined;
  if ((withoutPrefix ?? alias) === SCHEDULE_ID) return { name: WORKFLOW_ID, type: SYSTEM[WORKFLOW_ID] };
  return lookup(withoutPrefix ?? RESERVED_PREFIX + alias);
}

/** Names a schedule list query may not filter on (sadefs.IsReserved). */
export function isReservedName(name: string): boolean {
  return hasOwn(SYSTEM_SEARCH_ATTRIBUTES, name) || RESERVED_FIELDS.has(name) || name.startsWith(RESERVED_PREFIX);
}

/** WorkflowExecutionStatus enum numbers; SQL visibility compares the number, so `<`/`>` follow this order. */
const STATUS_NUMBERS: Readonly<Record<string, number>> = {
  Unspecified: 0,
  Running: 1,
  Completed: 2,
  Failed: 3,
  Canceled: 4,
  Terminated: 5,
  ContinuedAsNew: 6,
  TimedOut: 7,
  Paused: 8,
};
const STATUS_CONSTANT_PREFIX = 'WORKFLOW_EXECUTION_STATUS_';
const statusConstant = (name: string) =>
  STATUS_CONSTANT_PREFIX + name.replace(/(?<=[a-z])(?=[A-Z])/g, '_').toUpperCase();
const STATUS_BY_CONSTANT: ReadonlyMap<string, number> = new Map(
  Object.entries(STATUS_NUMBERS).map(([name, number]) => [statusConstant(name), number]),
);
const STATUS_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(STATUS_NUMBERS).map(([name, number]) => [number, name]),
);

/** The enum number for 'Running' or 'WORKFLOW_EXECUTION_STATUS_RUNNING' (case-sensitive, as the server). */
export function executionStatusNumber(name: string): number | undefined {
  return hasOwn(STATUS_NUMBERS, name) ? STATUS_NUMBERS[name] : STATUS_BY_CONSTANT.get(name);
}

/** The name for an enum number, e.g. 1 → 'Running'. */
export function executionStatusName(value: number): string | undefined {
  return STATUS_NAMES.get(value);
}

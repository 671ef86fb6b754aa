/** ListWorkflowExecutions, CountWorkflowExecutions and ScanWorkflowExecutions over the store's runs. */
import type { temporal } from '@temporalio/proto';
import { invalidArgument } from '../errors';
import type { Execution } from '../execution/execution';
import { STATUS_NAMES } from '../execution/types';
import type { Handler } from '../grpc';
import type { NamespaceRecord } from '../namespaces';
import type { Plain } from '../proto';
import { decodeSearchAttributes } from '../search-attributes';
import type { Store } from '../store';
import {
  parseVisibilityQuery,
  VisibilityQueryError,
  type ParsedVisibilityQuery,
  type VisibilityRecord,
} from '../visibility';
import { executionInfo, namespaceOf } from './executions';

type Req<T> = Plain<T>;

const DEFAULT_PAGE_SIZE = 1000;

/** The attributes a query can filter on, as the server indexes them. */
export function visibilityRecord(execution: Execution, namespace: NamespaceRecord): VisibilityRecord {
  const c = execution.config;
  const close = execution.close;
  return {
    ...decodeSearchAttributes(namespace, execution.metadata.searchAttributes),
    WorkflowId: execution.key.workflowId,
    RunId: execution.key.runId,
    WorkflowType: c.workflowType,
    StartTime: execution.startTime,
    ExecutionTime: execution.executionTime,
    CloseTime: close?.time,
    ExecutionStatus: STATUS_NAMES[execution.status],
    TaskQueue: c.taskQueue,
    HistoryLength: execution.history.events.length,
    HistorySizeBytes: execution.history.approximateSizeBytes,
    StateTransitionCount: execution.history.events.length,
    ExecutionDuration: close ? (close.time - execution.executionTime) * 1_000_000 : undefined,
    ParentWorkflowId: c.parent?.workflowId,
    ParentRunId: c.parent?.runId,
    RootWorkflowId: c.root?.workflowId ?? execution.key.workflowId,
    RootRunId: c.root?.runId ?? execution.key.runId,
  };
}

function parse(
  namespace: NamespaceRecord,
  query: string | undefined,
  options: { allowGroupBy?: boolean },
): ParsedVisibilityQuery {
  try {
    return parseVisibilityQuery(query ?? '', Object.fromEntries(namespace.customSearchAttributes), {
      allowOrderBy: true,
      ...options,
    });
  } catch (err) {
    if (err instanceof VisibilityQueryError) throw invalidArgument(err.message);
    throw err;
  }
}

/** Matching runs in the server's default order: open first, then by close time, start time (newest first) and run id. */
function matchingRuns(store: Store, namespace: NamespaceRecord, query: ParsedVisibilityQuery): Execution[] {
  const matches: { execution: Execution; record: VisibilityRecord }[] = [];
  for (const execution of store.allRuns()) {
    if (execution.key.namespace !== namespace.name) continue;
    const record = visibilityRecord(execution, namespace);
    if (query.matches(record)) matches.push({ execution, record });
  }
  matches.sort((a, b) => {
    const byQuery = query.compare(a.record, b.record);
    if (byQuery !== 0) return byQuery;
    const closeA = a.execution.close?.time ?? Infinity;
    const closeB = b.execution.close?.time ?? Infinity;
    if (closeA !== closeB) return closeB - closeA;
    if (a.execution.startTime !== b.execution.startTime) return b.execution.startTime - a.execution.startTime;
    return a.execution.key.runId.localeCompare(b.execution.key.runId);
  });
  return matches.map((m) => m.execution);
}

function page(
  runs: Execution[],
  namespace: NamespaceRecord,
  pageSize: number | undefined,
  token: Uint8Array | undefined,
) {
  const size = pageSize && pageSize > 0 ? pageSize : DEFAULT_PAGE_SIZE;
  let offset = 0;
  if (token && token.length > 0) {
    offset = Number(Buffer.from(token).toString());
    if (!Number.isInteger(offset) || offset < 0) throw invalidArgument('Invalid NextPageToken.');
  }
  const slice = runs.slice(offset, offset + size);
  return {
    executions: slice.map((execution) => executionInfo(execution, namespace)),
    nextPageToken: offset + size < runs.length ? Buffer.from(String(offset + size)) : undefined,
  };
}

function jsonPayload(value: unknown) {
  return { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(value)) };
}

export function visibilityHandlers(store: Store): Record<string, Handler> {
  const namespaceRecord = (name: string | undefined) => store.namespaces.get(namespaceOf(store, name));

  const list = (request: Req<temporal.api.workflowservice.v1.IListWorkflowExecutionsRequest>) => {
    const namespace = namespaceRecord(request.namespace);
    const runs = matchingRuns(store, namespace, parse(namespace, request.query, {}));
    return page(runs, namespace, request.pageSize, request.nextPageToken);
  };

  return {
    ListWorkflowExecutions: list,
    ScanWorkflowExecutions: list,

    CountWorkflowExecutions: (request: Req<temporal.api.workflowservice.v1.ICountWorkflowExecutionsRequest>) => {
      const namespace = namespaceRecord(request.namespace);
      const query = parse(namespace, request.query, { allowGroupBy: true });
      const runs = matchingRuns(store, namespace, query);
      if (query.groupBy.length === 0) return { count: runs.length };
      const counts = new Map<string, number>();
      for (const run of runs) {
        const key = JSON.stringify(
          query.groupBy.map((attribute) => visibilityRecord(run, namespace)[attribute] ?? null),
        );
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return {
        count: runs.length,
        groups: [...counts].map(([key, count]) => ({
          groupValues: (JSON.parse(key) as unknown[]).map(jsonPayload),
          count,
        })),
      };
    },
  };
}

import { describe, expect, it } from 'vitest';
import { parseVisibilityQuery, type SearchAttributeType, type VisibilityRecord } from './index';

const CUSTOM: Readonly<Record<string, SearchAttributeType>> = {
  CustomKeywordField: 'Keyword',
  CustomTextField: 'Text',
  CustomIntField: 'Int',
  CustomDoubleField: 'Double',
  CustomBoolField: 'Bool',
  CustomDatetimeField: 'Datetime',
  CustomKeywordListField: 'KeywordList',
  ScheduleId: 'Keyword',
};

const at = (iso: string) => Date.parse(iso);

const RECORDS: Readonly<Record<string, VisibilityRecord>> = {
  running: {
    WorkflowId: 'order-1',
    RunId: 'run-1',
    WorkflowType: 'OrderWorkflow',
    ExecutionStatus: 'Running',
    StartTime: at('2024-01-01T10:00:00Z'),
    ExecutionTime: at('2024-01-01T10:00:00Z'),
    TaskQueue: 'orders',
    HistoryLength: 10,
    HistorySizeBytes: 2048,
    CustomKeywordField: 'alpha',
    CustomTextField: 'The quick brown Fox jumps',
    CustomIntField: 5,
    CustomDoubleField: 1.5,
    CustomBoolField: true,
    CustomDatetimeField: at('2024-06-01T00:00:00.123Z'),
    CustomKeywordListField: ['red', 'Green light'],
    BuildIds: ['unversioned'],
  },
  completed: {
    WorkflowId: 'order-2',
    RunId: 'run-2',
    WorkflowType: 'OrderWorkflow',
    ExecutionStatus: 'Completed',
    StartTime: at('2024-01-02T10:00:00Z'),
    CloseTime: at('2024-01-02T10:01:30Z'),
    ExecutionDuration: 90_000_000_000,
    TaskQueue: 'orders',
    HistoryLength: 25,
    ParentWorkflowId: 'order-1',
    CustomKeywordField: 'Beta',
    CustomTextField: 'Café au lait, naïve résumé',
    CustomIntField: -3,
    CustomDoubleField: 2.25,
    CustomBoolField: false,
    CustomKeywordListField: ['blue'],
  },
  failed: {
    WorkflowId: 'ORDER-3',
    RunId: 'run-3',
    WorkflowType: 'RefundWorkflow',
    ExecutionStatus: 'Failed',
    StartTime: at('2023-12-31T23:00:00Z'),
    CloseTime: at('2024-01-01T00:00:00Z'),
    ExecutionDuration: 3_600_000_000_000,
    TaskQueue: 'refunds',
    HistoryLength: 3,
  },
  scheduler: {
    WorkflowId: 'temporal-sys-scheduler:nightly',
    RunId: 'run-4',
    WorkflowType: 'temporal-sys-scheduler-workflow',
    ExecutionStatus: 'Running',
    StartTime: at('2024-01-01T00:00:00Z'),
    TaskQueue: 'temporal-sys-scheduler',
    TemporalNamespaceDivision: 'TemporalScheduler',
    TemporalSchedulePaused: false,
  },
};

const matching = (query: string) => {
  const parsed = parseVisibilityQuery(query, CUSTOM);
  return Object.keys(RECORDS).filter((name) => parsed.matches(RECORDS[name]));
};

const table = (cases: [string, string[]][]) =>
  it.each(cases)('%s', (query, expected) => {
    expect(matching(query)).toEqual(expected);
  });

describe('matches: everything and the namespace division', () => {
  table([
    ['', ['running', 'completed', 'failed']],
    ['   ', ['running', 'completed', 'failed']],
    // Executions in a namespace division are listed only when the query mentions it.
    ["TemporalNamespaceDivision = 'TemporalScheduler'", ['scheduler']],
    [
      'TemporalNamespaceDivision IS NULL OR TemporalNamespaceDivision IS NOT NULL',
      ['running', 'completed', 'failed', 'scheduler'],
    ],
    ["ExecutionStatus = 'Running'", ['running']],
  ]);
});

describe('matches: Keyword', () => {
  table([
    ["WorkflowId = 'order-1'", ['running']],
    ['WorkflowId = "order-1"', ['running']],
    ["WorkflowId = 'ORDER-1'", []], // exact and case-sensitive
    ["WorkflowId != 'order-1'", ['completed', 'failed']],
    ["WorkflowId <> 'order-1'", ['completed', 'failed']],
    ["WorkflowId < 'order-2'", ['running', 'failed']], // byte order: 'O' < 'o'
    ["WorkflowId >= 'order-2'", ['completed']],
    ["WorkflowId <= 'order-2'", ['running', 'completed', 'failed']],
    ["WorkflowId > 'ORDER-3'", ['running', 'completed']],
    ["WorkflowId IN ('order-1', 'ORDER-3', 'nope')", ['running', 'failed']],
    ["WorkflowId NOT IN ('order-1', 'ORDER-3')", ['completed']],
    ["WorkflowId BETWEEN 'order-1' AND 'order-2'", ['running', 'completed']],
    ["WorkflowId NOT BETWEEN 'order-1' AND 'order-2'", ['failed']],
    // STARTS_WITH is SQLite's LIKE 'prefix%': case-insensitive for ASCII letters, wildcards escaped.
    ["WorkflowId STARTS_WITH 'order-'", ['running', 'completed', 'failed']],
    ["WorkflowId starts_with 'ORDER-2'", ['completed']],
    ["WorkflowId NOT STARTS_WITH 'order-1'", ['completed', 'failed']],
    ["WorkflowId STARTS_WITH 'order_'", []],
    ["WorkflowId STARTS_WITH 'order%'", []],
    ["WorkflowId STARTS_WITH ''", ['running', 'completed', 'failed']],
    ["WorkflowType = 'OrderWorkflow' AND TaskQueue = 'orders'", ['running', 'completed']],
    ["RunId = 'run-3'", ['failed']],
    // ScheduleId is an alias of WorkflowId unless a custom attribute has that name (here it does).
    ["ScheduleId = 'order-1'", []],
    ["TemporalScheduleId = 'order-1'", ['running']],
    ["TemporalWorkflowId = 'order-1'", ['running']], // the Temporal prefix may be added or dropped
    ["CustomKeywordField = 'alpha'", ['running']],
    ["CustomKeywordField < 'alpha'", ['completed']],
    ["CustomKeywordField != 'alpha'", ['completed']], // absent attribute: neither = nor !=
    ["ParentWorkflowId = 'order-1'", ['completed']],
  ]);
});

describe('matches: ExecutionStatus', () => {
  table([
    ["ExecutionStatus = 'Completed'", ['completed']],
    ["ExecutionStatus = 'WORKFLOW_EXECUTION_STATUS_FAILED'", ['failed']],
    ['ExecutionStatus = 3', ['failed']],
    ["ExecutionStatus != 'Running'", ['completed', 'failed']],
    ["ExecutionStatus IN ('Completed', 'Failed')", ['completed', 'failed']],
    ["ExecutionStatus NOT IN ('Completed')", ['running', 'failed']],
    // Compared as enum numbers (Running 1 < Completed 2 < Failed 3 ...), as SQL visibility stores them.
    ["ExecutionStatus > 'Running'", ['completed', 'failed']],
    ["ExecutionStatus BETWEEN 'Completed' AND 'Failed'", ['completed', 'failed']],
    ["ExecutionStatus < 'Failed'", ['running', 'completed']],
  ]);
});

describe('matches: Int, Double and ExecutionDuration', () => {
  table([
    ['HistoryLength = 10', ['running']],
    ['HistoryLength != 10', ['completed', 'failed']],
    ['HistoryLength > 5', ['running', 'completed']],
    ['HistoryLength >= 25', ['completed']],
    ['HistoryLength < 10', ['failed']],
    ['HistoryLength <= 10', ['running', 'failed']],
    ['HistoryLength > 9.5', ['running', 'completed']],
    ['HistoryLength IN (3, 25)', ['completed', 'failed']],
    ['HistoryLength NOT IN (3, 25)', ['running']],
    ['HistoryLength BETWEEN 3 AND 10', ['running', 'failed']],
    ['HistoryLength NOT BETWEEN 3 AND 10', ['completed']],
    ['HistorySizeBytes > 1e3', ['running']],
    ['CustomIntField = -3', ['completed']],
    ['CustomIntField < 0', ['completed']],
    ['CustomIntField >= 5', ['running']],
    ['CustomDoubleField = 1.5', ['running']],
    ['CustomDoubleField > 2', ['completed']],
    ['CustomDoubleField < 2.25', ['running']],
    ['CustomDoubleField BETWEEN 1.5 AND 2.25', ['running', 'completed']],
    ['CustomDoubleField IN (2.25, 7)', ['completed']],
    // ExecutionDuration is in nanoseconds; strings are Go durations (plus 'd'), or hh:mm:ss.
    ['ExecutionDuration = 90000000000', ['completed']],
    ["ExecutionDuration = '90000000000'", ['completed']],
    ["ExecutionDuration > '1m'", ['completed', 'failed']],
    ["ExecutionDuration >= '1h'", ['failed']],
    ["ExecutionDuration < '1.5m'", []],
    ["ExecutionDuration <= '1m30s'", ['completed']],
    ["ExecutionDuration = '00:01:30'", ['completed']],
    ["ExecutionDuration = '1:00:00'", ['failed']],
    ["ExecutionDuration < '1d'", ['completed', 'failed']],
    ["ExecutionDuration BETWEEN '1m' AND '2m'", ['completed']],
  ]);
});

describe('matches: Bool', () => {
  table([
    ['CustomBoolField = true', ['running']],
    ['CustomBoolField = FALSE', ['completed']],
    ['CustomBoolField != true', ['completed']],
    ['CustomBoolField IN (true, false)', ['running', 'completed']],
    ['CustomBoolField > false', ['running']],
    ['TemporalSchedulePaused = false', []], // only in the scheduler's division
    ["TemporalSchedulePaused = false AND TemporalNamespaceDivision = 'TemporalScheduler'", ['scheduler']],
  ]);
});

describe('matches: Datetime', () => {
  table([
    ["StartTime = '2024-01-01T10:00:00Z'", ['running']],
    ["StartTime = '2024-01-01T10:00:00.000000000Z'", ['running']],
    ["StartTime = '2024-01-01T11:00:00+01:00'", ['running']],
    ["StartTime = '2024-01-01T05:30:00-04:30'", ['running']],
    ["StartTime = '2024-01-01T10:00:00,0Z'", ['running']],
    ['StartTime = 1704103200000000000', ['running']], // Unix nanoseconds
    ["StartTime > '2024-01-01T00:00:00Z'", ['running', 'completed']],
    ["StartTime < '2024-01-01T00:00:00Z'", ['failed']],
    ["StartTime >= '2024-01-02T10:00:00Z'", ['completed']],
    ["StartTime <= '2023-12-31T23:00:00Z'", ['failed']],
    ["StartTime != '2024-01-01T10:00:00Z'", ['completed', 'failed']],
    ["StartTime BETWEEN '2024-01-01T00:00:00Z' AND '2024-01-01T23:59:59.999Z'", ['running']],
    ["StartTime NOT BETWEEN '2024-01-01T00:00:00Z' AND '2024-01-01T23:59:59Z'", ['completed', 'failed']],
    ["StartTime IN ('2024-01-02T10:00:00Z', '2023-12-31T23:00:00Z')", ['completed', 'failed']],
    ["CustomDatetimeField = '2024-06-01T00:00:00.123Z'", ['running']],
    ["CustomDatetimeField > '2024-06-01T00:00:00.122999999Z'", ['running']],
    ["CustomDatetimeField < '2024-06-01T00:00:00.123000001Z'", ['running']],
    ["CustomDatetimeField = '2024-06-01T00:00:00.1230000009Z'", ['running']], // beyond nanoseconds is cut
    // CloseTime is absent while running, so any comparison excludes open executions.
    ["CloseTime > '2000-01-01T00:00:00Z'", ['completed', 'failed']],
    ["CloseTime < '2999-01-01T00:00:00Z'", ['completed', 'failed']],
    ["ExecutionTime = '2024-01-01T10:00:00Z'", ['running']],
  ]);
});

describe('matches: KeywordList (contains; case-folded like SQLite FTS)', () => {
  table([
    ["CustomKeywordListField = 'red'", ['running']],
    ["CustomKeywordListField = 'RED'", ['running']],
    ["CustomKeywordListField = 'Green light'", ['running']], // an item is one token, spaces included
    ["CustomKeywordListField = 'green'", []],
    ["CustomKeywordListField = 're'", []],
    ["CustomKeywordListField IN ('blue', 'nope')", ['completed']],
    ["CustomKeywordListField IN ('red', 'blue')", ['running', 'completed']],
    // Negations match executions without the attribute: SQLite evaluates `rowid NOT IN (FTS match)`.
    ["CustomKeywordListField != 'red'", ['completed', 'failed']],
    ["CustomKeywordListField NOT IN ('red', 'blue')", ['failed']],
    ["NOT CustomKeywordListField = 'red'", ['completed', 'failed']],
    ["CustomKeywordListField = ''", []],
    ["BuildIds = 'unversioned'", ['running']],
    ["BuildIds != 'unversioned'", ['completed', 'failed']],
  ]);
});

describe('matches: Text (any word, as FTS phrases; case and accents folded)', () => {
  table([
    ["CustomTextField = 'fox'", ['running']],
    ["CustomTextField = 'FOX'", ['running']],
    ["CustomTextField = 'fo'", []], // whole tokens only
    ["CustomTextField = 'fox lait'", ['running', 'completed']], // any of the words
    ["CustomTextField = 'cafe'", ['completed']],
    ["CustomTextField = 'résumé'", ['completed']],
    ["CustomTextField = 'quick-brown'", ['running']], // a word with punctuation is a phrase
    ["CustomTextField = 'brown-quick'", []],
    ["CustomTextField = 'lait,'", ['completed']],
    ["CustomTextField != 'fox'", ['completed', 'failed']],
    ["CustomTextField != 'nothing'", ['running', 'completed', 'failed']],
  ]);
});

describe('matches: IS NULL and logic', () => {
  table([
    ['CloseTime IS NULL', ['running']],
    ['CloseTime IS NOT NULL', ['completed', 'failed']],
    ['ParentWorkflowId is null', ['running', 'failed']],
    ['CustomKeywordListField IS NULL', ['failed']],
    ['CustomTextField IS NOT NULL', ['running', 'completed']],
    ["ExecutionStatus = 'Running' OR ExecutionStatus = 'Failed'", ['running', 'failed']],
    [
      "WorkflowType = 'OrderWorkflow' AND (ExecutionStatus = 'Running' OR HistoryLength > 20)",
      ['running', 'completed'],
    ],
    ["WorkflowType = 'OrderWorkflow' AND ExecutionStatus = 'Running' OR HistoryLength < 5", ['running', 'failed']],
    ["WorkflowType = 'OrderWorkflow' AND NOT ExecutionStatus = 'Running'", ['completed']],
    ["NOT (ExecutionStatus = 'Running' OR ExecutionStatus = 'Completed')", ['failed']],
    ['NOT NOT HistoryLength = 3', ['failed']],
    // SQL three-valued logic: a comparison with an absent attribute is unknown, and so is its negation.
    ["NOT CustomKeywordField = 'alpha'", ['completed']],
    ["CustomKeywordField = 'alpha' OR NOT CustomKeywordField = 'alpha'", ['running', 'completed']],
    ["CustomKeywordField = 'alpha' OR HistoryLength = 3", ['running', 'failed']],
    ["NOT (CustomKeywordField = 'zzz' AND HistoryLength = 3)", ['running', 'completed']], // failed: NOT (unknown AND true)
    ["NOT (CustomKeywordField = 'zzz' OR HistoryLength = 3)", ['running', 'completed']],
  ]);
});

describe('matches: query syntax', () => {
  table([
    ["`WorkflowId` = 'order-1'", ['running']],
    ["WorkflowId = 'order-1' AnD ExecutionStatus = 'Running'", ['running']],
    ["WorkflowId In ('order-1') oR HistoryLength BeTwEeN 20 aNd 30", ['running', 'completed']],
    ["WorkflowId='order-1'", ['running']],
    ["(((WorkflowId = 'order-1')))", ['running']],
    ["WorkflowId = 'order-1' -- the first one", ['running']],
    ["WorkflowId = 'order-1';", ['running']],
    // The server trims every single quote around a string value.
    ["WorkflowId = '''order-1'''", ['running']],
    ['WorkflowId = "\'order-1\'"', ['running']],
  ]);
});

import { describe, expect, it } from 'vitest';
import { parseVisibilityQuery, SYSTEM_SEARCH_ATTRIBUTES, type VisibilityRecord } from './index';

const CUSTOM = { CustomKeywordField: 'Keyword', CustomKeywordListField: 'KeywordList', CustomIntField: 'Int' } as const;

const RECORDS: Readonly<Record<string, VisibilityRecord>> = {
  a: {
    WorkflowId: 'a',
    ExecutionStatus: 'Running',
    StartTime: 3,
    CustomIntField: 2,
    CustomKeywordListField: ['m', 'z'],
  },
  b: {
    WorkflowId: 'b',
    ExecutionStatus: 'Completed',
    StartTime: 1,
    CustomIntField: 10,
    CustomKeywordListField: ['b', 'n'],
  },
  c: { WorkflowId: 'c', ExecutionStatus: 'Failed', StartTime: 2 },
  d: { WorkflowId: 'd', ExecutionStatus: 'Canceled', StartTime: 2, CustomIntField: 2, CustomKeywordListField: ['k'] },
};

const sorted = (query: string) => {
  const parsed = parseVisibilityQuery(query, CUSTOM, { allowOrderBy: true });
  return Object.keys(RECORDS)
    .filter((name) => parsed.matches(RECORDS[name]))
    .sort((x, y) => parsed.compare(RECORDS[x], RECORDS[y]));
};

describe('ORDER BY (when allowed)', () => {
  it('reports the canonical attribute names and directions', () => {
    const parsed = parseVisibilityQuery(
      "TemporalWorkflowId != 'x' order by `StartTime` desc, TemporalWorkflowId",
      CUSTOM,
      {
        allowOrderBy: true,
      },
    );
    expect(parsed.orderBy).toEqual([
      { attribute: 'StartTime', descending: true },
      { attribute: 'WorkflowId', descending: false },
    ]);
    expect(parsed.groupBy).toEqual([]);
  });

  it.each([
    ['order by StartTime', ['b', 'c', 'd', 'a']],
    ['order by StartTime desc', ['a', 'c', 'd', 'b']],
    ['order by StartTime desc, WorkflowId desc', ['a', 'd', 'c', 'b']],
    // Missing values sort last in both directions, as Elasticsearch visibility sorts them.
    ['order by CustomIntField', ['a', 'd', 'b', 'c']],
    ['order by CustomIntField desc, WorkflowId', ['b', 'a', 'd', 'c']],
    // Statuses sort by name; a KeywordList by its smallest item ascending and its largest descending.
    ['order by ExecutionStatus', ['d', 'b', 'c', 'a']],
    ['order by CustomKeywordListField', ['b', 'd', 'a', 'c']],
    ['order by CustomKeywordListField desc', ['a', 'b', 'd', 'c']],
    ["ExecutionStatus != 'Running' order by StartTime", ['b', 'c', 'd']],
  ])('%s', (query, expected) => {
    expect(sorted(query)).toEqual(expected);
  });

  it('leaves ordering to the caller when there is no ORDER BY', () => {
    const parsed = parseVisibilityQuery('', CUSTOM, { allowOrderBy: true });
    expect(parsed.orderBy).toEqual([]);
    expect(parsed.compare(RECORDS.a, RECORDS.b)).toBe(0);
  });
});

describe('GROUP BY (when allowed)', () => {
  it.each([
    ['GROUP BY ExecutionStatus', ['a', 'b', 'c', 'd']],
    ['group by ExecutionStatus', ['a', 'b', 'c', 'd']],
    ["WorkflowId IN ('a', 'b') GROUP BY ExecutionStatus", ['a', 'b']],
  ])('%s', (query, expected) => {
    const parsed = parseVisibilityQuery(query, CUSTOM, { allowGroupBy: true });
    expect(parsed.groupBy).toEqual(['ExecutionStatus']);
    expect(parsed.orderBy).toEqual([]);
    expect(Object.keys(RECORDS).filter((name) => parsed.matches(RECORDS[name]))).toEqual(expected);
  });

  it('groups by TemporalNamespaceDivision across all divisions', () => {
    const parsed = parseVisibilityQuery('GROUP BY TemporalNamespaceDivision', CUSTOM, { allowGroupBy: true });
    expect(parsed.groupBy).toEqual(['TemporalNamespaceDivision']);
    expect(parsed.matches({ WorkflowId: 'x', TemporalNamespaceDivision: 'TemporalScheduler' })).toBe(true);
  });
});

describe('schedule queries', () => {
  const scheduleRecord: VisibilityRecord = {
    WorkflowId: 'nightly',
    TemporalNamespaceDivision: 'TemporalScheduler',
    TemporalSchedulePaused: true,
    CustomKeywordField: 'db',
  };

  it.each([
    ['', true],
    ['TemporalSchedulePaused = true', true],
    ["CustomKeywordField = 'db' AND TemporalSchedulePaused = false", false],
    ["ScheduleId = 'nightly'", true], // an alias of WorkflowId, which holds the schedule id
    ["ScheduleId STARTS_WITH 'night'", true],
  ])('%s', (query, expected) => {
    expect(parseVisibilityQuery(query, CUSTOM, { forSchedules: true }).matches(scheduleRecord)).toBe(expected);
  });
});

describe('SYSTEM_SEARCH_ATTRIBUTES', () => {
  it('lists the server’s system and predefined attributes with their types', () => {
    expect(SYSTEM_SEARCH_ATTRIBUTES).toMatchObject({
      WorkflowId: 'Keyword',
      ExecutionStatus: 'Keyword',
      StartTime: 'Datetime',
      CloseTime: 'Datetime',
      ExecutionDuration: 'Int',
      HistorySizeBytes: 'Int',
      BuildIds: 'KeywordList',
      TemporalChangeVersion: 'KeywordList',
      TemporalScheduledStartTime: 'Datetime',
      TemporalSchedulePaused: 'Bool',
      TemporalPauseInfo: 'KeywordList',
    });
    expect(Object.isFrozen(SYSTEM_SEARCH_ATTRIBUTES)).toBe(true);
  });

  it('prefers a system attribute over a custom one of the same name', () => {
    const parsed = parseVisibilityQuery("WorkflowId = 'a'", { WorkflowId: 'Int' });
    expect(parsed.matches({ WorkflowId: 'a' })).toBe(true);
  });
});

describe('stored values', () => {
  it('treats stored values of the wrong type, NaN or an invalid time as absent', () => {
    const parsed = parseVisibilityQuery('HistoryLength >= 0 OR StartTime >= 0 OR CustomIntField IS NOT NULL', CUSTOM);
    expect(parsed.matches({ HistoryLength: Number.NaN, StartTime: Number.POSITIVE_INFINITY })).toBe(false);
    expect(parsed.matches({ HistoryLength: '5', StartTime: '2024-01-01T00:00:00Z' })).toBe(false);
    expect(parsed.matches({ CustomIntField: 'five' })).toBe(true); // IS NOT NULL only asks whether it is set
  });
});

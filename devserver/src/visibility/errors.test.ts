import { describe, expect, it } from 'vitest';
import { parseVisibilityQuery, VisibilityQueryError, type SearchAttributeType } from './index';
import type { ParseVisibilityQueryOptions } from './types';

const CUSTOM: Readonly<Record<string, SearchAttributeType>> = {
  CustomKeywordField: 'Keyword',
  CustomTextField: 'Text',
  CustomDoubleField: 'Double',
  CustomBoolField: 'Bool',
  CustomKeywordListField: 'KeywordList',
};

const rejection = (query: string, options?: ParseVisibilityQueryOptions) => {
  try {
    parseVisibilityQuery(query, CUSTOM, options);
  } catch (error) {
    expect(error).toBeInstanceOf(VisibilityQueryError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(query)} to be rejected`);
};

const table = (cases: [string, string][], options?: ParseVisibilityQueryOptions) =>
  it.each(cases)('%s', (query, message) => {
    expect(rejection(query, options)).toBe(message);
  });

const INVALID = 'invalid query: invalid expression:';
const UNSUPPORTED = 'invalid query: operation is not supported:';

describe('rejects unknown attributes (names are case-sensitive)', () => {
  table([
    ["Foo = 'a'", `${INVALID} column name 'Foo' is not a valid search attribute`],
    ["workflowid = 'a'", `${INVALID} column name 'workflowid' is not a valid search attribute`],
    ["Status = 'a'", `${INVALID} column name 'status' is not a valid search attribute`], // keywords are lowercased
    ["t.WorkflowId = 'a'", `${INVALID} column name 't.WorkflowId' is not a valid search attribute`],
    ["`Custom Keyword` = 'a'", `${INVALID} column name 'Custom Keyword' is not a valid search attribute`],
    ['Foo IS NULL', `${INVALID} column name 'Foo' is not a valid search attribute`],
    ["WorkflowId = 'a' AND Foo = 'b'", `${INVALID} column name 'Foo' is not a valid search attribute`],
  ]);
});

describe('rejects values of the wrong type', () => {
  table([
    [
      "HistoryLength = 'ten'",
      `${INVALID} invalid value type for search attribute HistoryLength of type Int: "ten" (type: string)`,
    ],
    [
      'WorkflowId = 5',
      `${INVALID} invalid value type for search attribute WorkflowId of type Keyword: 5 (type: int64)`,
    ],
    [
      'WorkflowId = 1e20',
      `${INVALID} invalid value type for search attribute WorkflowId of type Keyword: 1e+20 (type: float64)`,
    ],
    [
      "CustomDoubleField = 'x'",
      `${INVALID} invalid value type for search attribute CustomDoubleField of type Double: "x" (type: string)`,
    ],
    [
      "CustomBoolField = 'true'",
      `${INVALID} invalid value type for search attribute CustomBoolField of type Bool: "true" (type: string)`,
    ],
    [
      'CustomBoolField = 1',
      `${INVALID} invalid value type for search attribute CustomBoolField of type Bool: 1 (type: int64)`,
    ],
    [
      'HistoryLength = true',
      `${INVALID} invalid value type for search attribute HistoryLength of type Int: true (type: bool)`,
    ],
    [
      'StartTime = 1.5',
      `${INVALID} invalid value type for search attribute StartTime of type Datetime: 1.5 (type: float64)`,
    ],
    [
      'CustomKeywordListField = 7',
      `${INVALID} invalid value type for search attribute CustomKeywordListField of type KeywordList: 7 (type: int64)`,
    ],
    [
      "CustomTextField IN ('a', 2)",
      `${INVALID} invalid value type for search attribute CustomTextField of type Text: 2 (type: int64)`,
    ],
    // The value is checked before the operator, as the server does.
    [
      "HistoryLength STARTS_WITH 'x'",
      `${INVALID} invalid value type for search attribute HistoryLength of type Int: "x" (type: string)`,
    ],
  ]);
});

describe('rejects datetimes, statuses and durations the server cannot read', () => {
  table([
    ["StartTime > '2024-01-01'", `${INVALID} unable to parse datetime '2024-01-01'`],
    ["StartTime > '2024-01-01T00:00:00'", `${INVALID} unable to parse datetime '2024-01-01T00:00:00'`],
    ["StartTime > '2024-01-01t00:00:00z'", `${INVALID} unable to parse datetime '2024-01-01t00:00:00z'`],
    ["StartTime > '2023-02-29T00:00:00Z'", `${INVALID} unable to parse datetime '2023-02-29T00:00:00Z'`],
    ["StartTime > '2024-01-01T24:00:00Z'", `${INVALID} unable to parse datetime '2024-01-01T24:00:00Z'`],
    ["StartTime > '2024-01-01 00:00:00Z'", `${INVALID} unable to parse datetime '2024-01-01 00:00:00Z'`],
    ["ExecutionStatus = 'running'", `${INVALID} invalid ExecutionStatus value 'running'`],
    ['ExecutionStatus = 42', `${INVALID} invalid ExecutionStatus value 42`],
    ['ExecutionStatus = 1.5', `${INVALID} unexpected value type float64 for search attribute ExecutionStatus`],
    ['ExecutionStatus = true', `${INVALID} unexpected value type bool for search attribute ExecutionStatus`],
    ["ExecutionDuration > 'soon'", `${INVALID} invalid duration value for search attribute ExecutionDuration: soon`],
    ["ExecutionDuration > '1h2x'", `${INVALID} invalid duration value for search attribute ExecutionDuration: 1h2x`],
    [
      "ExecutionDuration > '1:60:00'",
      `${INVALID} invalid duration value for search attribute ExecutionDuration: 1:60:00`,
    ],
    ['ExecutionDuration > 1.5', `${INVALID} unexpected value type float64 for search attribute ExecutionDuration`],
  ]);
});

describe('rejects operators a type does not support', () => {
  const notFor = (operator: string, type: string, attribute: string) =>
    `${UNSUPPORTED} operator '${operator}' not supported for ${type} type search attribute '${attribute}'`;
  table([
    ['HistoryLength STARTS_WITH 1', notFor('STARTS_WITH', 'Int', 'HistoryLength')],
    ['CustomBoolField NOT STARTS_WITH true', notFor('NOT STARTS_WITH', 'Bool', 'CustomBoolField')],
    ["StartTime STARTS_WITH '2024-01-01T00:00:00Z'", notFor('STARTS_WITH', 'Datetime', 'StartTime')],
    ["CustomKeywordListField > 'a'", notFor('>', 'KeywordList', 'CustomKeywordListField')],
    ["CustomKeywordListField STARTS_WITH 'a'", notFor('STARTS_WITH', 'KeywordList', 'CustomKeywordListField')],
    ["CustomTextField IN ('a')", notFor('IN', 'Text', 'CustomTextField')],
    ["CustomTextField < 'a'", notFor('<', 'Text', 'CustomTextField')],
    ["WorkflowId LIKE 'a%'", notFor('LIKE', 'Keyword', 'WorkflowId')],
    ["WorkflowId NOT LIKE 'a%' ESCAPE '!'", notFor('NOT LIKE', 'Keyword', 'WorkflowId')],
    ["WorkflowId REGEXP 'a'", notFor('REGEXP', 'Keyword', 'WorkflowId')],
    ["WorkflowId <=> 'a'", notFor('<=>', 'Keyword', 'WorkflowId')],
    [
      'CustomBoolField BETWEEN false AND true',
      `${INVALID} cannot do range condition on search attribute 'CustomBoolField' of type Bool`,
    ],
    [
      "CustomTextField NOT BETWEEN 'a' AND 'b'",
      `${INVALID} cannot do range condition on search attribute 'CustomTextField' of type Text`,
    ],
    [
      "BuildIds BETWEEN 'a' AND 'b'",
      `${INVALID} cannot do range condition on search attribute 'BuildIds' of type KeywordList`,
    ],
    ['CloseTime IS TRUE', `${INVALID} 'IS' operator can only be used as 'IS NULL' or 'IS NOT NULL'`],
    ['CloseTime IS NOT FALSE', `${INVALID} 'IS' operator can only be used as 'IS NULL' or 'IS NOT NULL'`],
    [
      "ExecutionStatus STARTS_WITH 'Running'",
      `${INVALID} right-hand side of "starts_with" operator must be a literal string (got: Running)`,
    ],
    [
      'ExecutionStatus NOT STARTS_WITH 2',
      `${INVALID} right-hand side of "not starts_with" operator must be a literal string (got: Completed)`,
    ],
    [
      "WorkflowId STARTS_WITH ('a', 'b')",
      `${INVALID} right-hand side of "starts_with" operator must be a literal string (got: [a b])`,
    ],
  ]);
});

describe('rejects malformed expressions', () => {
  table([
    ['WorkflowId', `${INVALID} incomplete expression`],
    ["'a' = WorkflowId", `${INVALID} must be a column name but was *sqlparser.SQLVal`],
    ["lower(WorkflowId) = 'a'", `${INVALID} must be a column name but was *sqlparser.FuncExpr`],
    ["(WorkflowId) = 'a'", `${INVALID} must be a column name but was *sqlparser.ParenExpr`],
    ['1 IS NULL', `${INVALID} must be a column name but was *sqlparser.SQLVal`],
    [
      'WorkflowId = RunId',
      `${UNSUPPORTED} column name on the right side of comparison expression (did you forget to quote "RunId"?)`,
    ],
    [
      'WorkflowId = abc',
      `${UNSUPPORTED} column name on the right side of comparison expression (did you forget to quote "abc"?)`,
    ],
    ["WorkflowId = lower('a')", `${UNSUPPORTED} nested func`],
    ['WorkflowId = null', `${INVALID} unexpected value type *sqlparser.NullVal`],
    ["WorkflowId = ('a')", `${INVALID} unexpected value type *sqlparser.ParenExpr`],
    ['HistoryLength = 1 + 1', `${INVALID} unexpected value type *sqlparser.BinaryExpr`],
    ['HistoryLength = -1.5', `${INVALID} unexpected value type *sqlparser.UnaryExpr`],
    ["WorkflowId IN ('a', ('b', 'c'))", `${INVALID} unexpected value type sqlparser.ValTuple`],
    ['WorkflowId IN ::names', `${INVALID} unexpected value type sqlparser.ListArg`],
    ['HistoryLength = 0x10', `${INVALID} unable to parse value "0x10"`],
    ['WorkflowId = ?', `${INVALID} unable to parse value ":v1"`],
    ["WorkflowId = ('a', 'b')", `${INVALID} unexpected value type (expected a single value, got ('a', 'b'))`],
    ["CustomKeywordListField = ('a', 'b')", `${INVALID} unexpected value type (expected string, got ('a', 'b'))`],
    ["CustomTextField = ('a', 'b')", `${INVALID} unexpected value type (expected string, got ('a', 'b'))`],
    ["CustomTextField = '   '", `${INVALID} unexpected value for Text type search attribute (no tokens found)`],
    ['true', `${UNSUPPORTED} expression of type sqlparser.BoolVal`],
    ['1', `${UNSUPPORTED} expression of type *sqlparser.SQLVal`],
    ["('a', 'b')", `${UNSUPPORTED} expression of type sqlparser.ValTuple`],
    ['now()', `${UNSUPPORTED} function expression`],
    ["WorkflowId = 'a' AND", 'invalid query: malformed SQL query: syntax error at position 48'],
  ]);
});

describe('rejects clauses visibility does not support', () => {
  table([
    ["WorkflowId = 'a' LIMIT 10", `${UNSUPPORTED} 'LIMIT' clause`],
    ["WorkflowId = 'a' HAVING HistoryLength > 1", `${UNSUPPORTED} 'HAVING' clause`],
    ['ORDER BY StartTime', `${UNSUPPORTED} 'ORDER BY' clause`],
    ["WorkflowId = 'a' ORDER BY StartTime DESC", `${UNSUPPORTED} 'ORDER BY' clause`],
    ['GROUP BY ExecutionStatus', `${UNSUPPORTED} 'GROUP BY' clause`],
    // Attributes in ORDER BY / GROUP BY are checked first, as the server does.
    ['ORDER BY Foo', `${INVALID} column name 'Foo' is not a valid search attribute`],
    ['ORDER BY 1', `${INVALID} must be a column name but was *sqlparser.SQLVal`],
  ]);

  describe('when GROUP BY is allowed (CountWorkflowExecutions)', () => {
    table(
      [
        ['GROUP BY WorkflowId', `${UNSUPPORTED} 'GROUP BY' clause is not supported for search attribute WorkflowId`],
        ['GROUP BY ExecutionStatus, WorkflowType', `${UNSUPPORTED} 'GROUP BY' clause supports only a single field`],
        ['GROUP BY ExecutionStatus ORDER BY StartTime', `${UNSUPPORTED} 'ORDER BY' clause`],
      ],
      { allowGroupBy: true },
    );
  });

  describe('when ORDER BY is allowed', () => {
    table(
      [
        ['ORDER BY CustomTextField', `${UNSUPPORTED} unable to sort by search attribute type Text`],
        ['GROUP BY ExecutionStatus', `${UNSUPPORTED} 'GROUP BY' clause`],
      ],
      { allowOrderBy: true },
    );
    table(
      [
        [
          'GROUP BY ExecutionStatus ORDER BY StartTime',
          `${UNSUPPORTED} 'order by' clause is not supported with 'group by' clause`,
        ],
      ],
      { allowOrderBy: true, allowGroupBy: true },
    );
  });
});

describe('rejects system attributes in schedule queries (ListSchedules)', () => {
  table(
    [
      ["WorkflowId = 'a'", 'invalid query filter for schedules: cannot filter on "WorkflowId"'],
      [
        "CustomKeywordField = 'a' OR ExecutionStatus = 'Running'",
        'invalid query filter for schedules: cannot filter on "ExecutionStatus"',
      ],
      ["TemporalScheduledById = 'a'", 'invalid query filter for schedules: cannot filter on "TemporalScheduledById"'],
      [
        "TemporalCustomKeywordField = 'a'",
        'invalid query filter for schedules: cannot filter on "TemporalCustomKeywordField"',
      ],
      ["Foo = 'a'", `${INVALID} column name 'Foo' is not a valid search attribute`],
    ],
    { forSchedules: true },
  );
});

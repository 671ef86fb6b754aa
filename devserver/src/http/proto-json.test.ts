/**
 * proto3 JSON mapping: every request and response message of every method the Web UI calls makes
 * the round trip JSON → message → protobuf bytes → message → JSON unchanged, with every field set
 * (nested messages to a few levels); the formats Temporal's HTTP API uses are checked by example.
 */
import type { Enum, Field, Type } from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { DECODE_OPTIONS, root } from '../proto';
import { formatDuration, formatTimestamp, JsonMappingError, messageFromJson, messageToJson } from './proto-json';
import { buildRequest } from './request';
import { httpRoutes, matchRoute } from './routes';

/** The methods the Web UI 2.38 calls (its services/*), by service. */
const UI_METHODS: Record<string, string[]> = {
  'temporal.api.workflowservice.v1.WorkflowService': [
    'ListNamespaces',
    'DescribeNamespace',
    'GetClusterInfo',
    'GetSystemInfo',
    'ListWorkflowExecutions',
    'CountWorkflowExecutions',
    'DescribeWorkflowExecution',
    'GetWorkflowExecutionHistory',
    'GetWorkflowExecutionHistoryReverse',
    'DescribeTaskQueue',
    'QueryWorkflowExecution',
    'TerminateWorkflowExecution',
    'RequestCancelWorkflowExecution',
    'SignalWorkflowExecution',
    'ResetWorkflowExecution',
    'UpdateWorkflowExecution',
    'ListSchedules',
    'CountSchedules',
    'DescribeSchedule',
    'ListScheduleMatchingTimes',
    'PatchSchedule',
    'UpdateSchedule',
    'DeleteSchedule',
  ].map((m) => (m === 'QueryWorkflowExecution' ? 'QueryWorkflow' : m)),
  'temporal.api.operatorservice.v1.OperatorService': ['ListSearchAttributes'],
};

const MAX_DEPTH = 4;

/** A JSON value for every field of `type`, in the canonical form the mapping writes. */
function sampleJson(type: Type, depth = 0): unknown {
  type.resolveAll();
  const special = specialSample(type.fullName.replace(/^\./, ''));
  if (special !== undefined) return special;
  const json: Record<string, unknown> = {};
  if (depth >= MAX_DEPTH) return json;
  const skipped = new Set<Field>();
  for (const oneof of type.oneofsArray) for (const field of oneof.fieldsArray.slice(1)) skipped.add(field);
  for (const field of type.fieldsArray) {
    if (skipped.has(field)) continue;
    const value = fieldSample(field, depth);
    if (value === undefined) continue;
    const key = (field as Field & { keyType?: string }).keyType === 'string' ? 'key1' : '5';
    json[field.name] = field.map ? { [key]: value } : field.repeated ? [value] : value;
  }
  return json;
}

function fieldSample(field: Field, depth: number): unknown {
  const target = field.resolvedType;
  if (target && 'fields' in target) {
    if ((target as Type).fullName === '.google.protobuf.Any') return undefined;
    return sampleJson(target as Type, depth + 1);
  }
  if (target) {
    const names = Object.keys((target as Enum).values).filter((name) => (target as Enum).values[name] !== 0);
    return names[0];
  }
  switch (field.type) {
    case 'string':
      return `text of ${field.name}`;
    case 'bool':
      return true;
    case 'bytes':
      return Buffer.from(`bytes of ${field.name}`).toString('base64');
    case 'double':
    case 'float':
      return 1.5;
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return '9007199254740';
    default:
      return 7;
  }
}

function specialSample(name: string): unknown {
  switch (name) {
    case 'google.protobuf.Timestamp':
      return '2024-05-01T12:30:45.123Z';
    case 'google.protobuf.Duration':
      return '1.500s';
    case 'google.protobuf.FieldMask':
      return 'workflowId,policies.overlapPolicy';
    case 'google.protobuf.Struct':
      return { key: 'value', list: [1, true, null] };
    case 'google.protobuf.Value':
      return 'value';
    case 'google.protobuf.ListValue':
      return ['a', 2];
    case 'google.protobuf.BoolValue':
      return true;
    case 'google.protobuf.StringValue':
      return 'wrapped';
    case 'google.protobuf.Int64Value':
      return '12';
    case 'google.protobuf.Int32Value':
    case 'google.protobuf.UInt32Value':
      return 3;
    case 'google.protobuf.DoubleValue':
    case 'google.protobuf.FloatValue':
      return 2.5;
  }
  return undefined;
}

function roundTrip(type: Type, json: unknown): unknown {
  const plain = messageFromJson(type, json);
  const bytes = type.encode(type.fromObject(plain)).finish();
  const decoded = type.toObject(type.decode(bytes), DECODE_OPTIONS);
  return messageToJson(type, decoded);
}

describe('the JSON mapping of every message the Web UI exchanges', () => {
  for (const [serviceName, methods] of Object.entries(UI_METHODS)) {
    const service = root.lookupService(serviceName);
    for (const methodName of methods) {
      it(`${methodName}: request and response, every field`, () => {
        const method = service.methods[methodName];
        expect(method, `${serviceName} has ${methodName}`).toBeDefined();
        method.resolve();
        for (const type of [method.resolvedRequestType!, method.resolvedResponseType!]) {
          const json = sampleJson(type);
          expect(roundTrip(type, json), type.name).toEqual(json);
        }
        expect(
          httpRoutes().some((r) => r.method === methodName && r.service === serviceName),
          `${methodName} has an HTTP route`,
        ).toBe(true);
      });
    }
  }
});

describe('formats', () => {
  const info = root.lookupType('temporal.api.workflow.v1.WorkflowExecutionInfo');

  it('writes enums by name, int64 as strings, times in RFC 3339 and payloads in base64', () => {
    const json = messageToJson(info, {
      execution: { workflowId: 'cluster:shop', runId: 'r1' },
      status: 1,
      historyLength: 12,
      startTime: { seconds: 1714566645, nanos: 120_000_000 },
      executionDuration: { seconds: 3, nanos: 500_000_000 },
      memo: { fields: { note: { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"hi"') } } },
    });
    expect(json).toEqual({
      execution: { workflowId: 'cluster:shop', runId: 'r1' },
      status: 'WORKFLOW_EXECUTION_STATUS_RUNNING',
      historyLength: '12',
      startTime: '2024-05-01T12:30:45.120Z',
      executionDuration: '3.500s',
      memo: { fields: { note: { metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'ImhpIg==' } } },
    });
  });

  it('leaves proto3 defaults out and keeps empty messages', () => {
    expect(messageToJson(info, { historyLength: 0, taskQueue: '', execution: {} })).toEqual({ execution: {} });
  });

  it('formats times and durations with 0, 3, 6 or 9 fractional digits', () => {
    expect(formatTimestamp(0, 0)).toBe('1970-01-01T00:00:00Z');
    expect(formatTimestamp(1, 1000)).toBe('1970-01-01T00:00:01.000001Z');
    expect(formatTimestamp(1, 5)).toBe('1970-01-01T00:00:01.000000005Z');
    expect(formatDuration(90, 0)).toBe('90s');
    expect(formatDuration(-1, -500_000_000)).toBe('-1.500s');
  });

  it('reads snake_case names, enum numbers, offsets in times and null as unset', () => {
    const plain = messageFromJson(info, {
      history_length: 5,
      status: 2,
      start_time: '2024-05-01T14:30:45+02:00',
      taskQueue: null,
    });
    expect(plain).toEqual({ historyLength: 5, status: 2, startTime: { seconds: 1714566645, nanos: 0 } });
  });

  it('refuses what is not the mapping, naming the field', () => {
    const bad: [unknown, RegExp][] = [
      [{ status: 'RUNNING_FAST' }, /status: "RUNNING_FAST" is not a value of WorkflowExecutionStatus/],
      [{ historyLength: '12x' }, /historyLength: expected an integer/],
      [{ startTime: 'yesterday' }, /startTime: "yesterday" is not an RFC 3339 time/],
      [{ executionDuration: '3 minutes' }, /executionDuration: "3 minutes" is not a duration/],
      [{ execution: { workflowId: 5 } }, /execution.workflowId: expected a string/],
      [{ noSuchField: 1 }, /noSuchField: unknown field/],
      [{ memo: { fields: { a: { data: '***' } } } }, /memo.fields.a.data: expected base64 data/],
    ];
    for (const [json, message] of bad) {
      expect(() => messageFromJson(info, json)).toThrow(JsonMappingError);
      expect(() => messageFromJson(info, json)).toThrow(message);
    }
  });
});

describe('requests from URLs', () => {
  it('takes path variables into nested fields and the query string by field path', () => {
    const { match } = matchRoute('GET', '/api/v1/namespaces/default/workflows/cluster%3Ashop%2Fa/history');
    expect(match!.route.method).toBe('GetWorkflowExecutionHistory');
    const request = buildRequest(
      match!,
      new URLSearchParams('execution.runId=r-1&waitNewEvent=true&maximum_page_size=20&next_page_token=AQI='),
      undefined,
    );
    expect(request).toEqual({
      namespace: 'default',
      execution: { workflowId: 'cluster:shop/a', runId: 'r-1' },
      waitNewEvent: true,
      maximumPageSize: 20,
      nextPageToken: Buffer.from([1, 2]),
    });
  });

  it('reads enums in a query by name or number, and the body of a POST with the path over it', () => {
    const queue = matchRoute('GET', '/api/v1/namespaces/default/task-queues/clusters').match!;
    expect(buildRequest(queue, new URLSearchParams('taskQueueType=1'), undefined)).toMatchObject({
      taskQueue: { name: 'clusters' },
      taskQueueType: 1,
    });
    expect(
      buildRequest(queue, new URLSearchParams('taskQueueType=TASK_QUEUE_TYPE_ACTIVITY'), undefined).taskQueueType,
    ).toBe(2);
    const terminate = matchRoute('POST', '/api/v1/namespaces/default/workflows/w1/terminate').match!;
    expect(buildRequest(terminate, new URLSearchParams(), { reason: 'done', namespace: 'other' })).toEqual({
      namespace: 'default',
      workflowExecution: { workflowId: 'w1' },
      reason: 'done',
    });
  });

  it('answers which methods a path has when the method is wrong', () => {
    expect(matchRoute('DELETE', '/api/v1/namespaces/default/workflows').allowed).toEqual(['GET']);
    expect(matchRoute('GET', '/api/v1/no/such/route')).toEqual({ allowed: [] });
  });
});

import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './fixtures/env';
import * as workflows from './fixtures/workflows';

const ClusterName = defineSearchAttributeKey('ClusterName', SearchAttributeType.KEYWORD);
const Nodes = defineSearchAttributeKey('Nodes', SearchAttributeType.INT);
const Tags = defineSearchAttributeKey('Tags', SearchAttributeType.KEYWORD_LIST);
const Healthy = defineSearchAttributeKey('Healthy', SearchAttributeType.BOOL);
const Weight = defineSearchAttributeKey('Weight', SearchAttributeType.DOUBLE);
const Created = defineSearchAttributeKey('Created', SearchAttributeType.DATETIME);
const Notes = defineSearchAttributeKey('Notes', SearchAttributeType.TEXT);

let h: Harness;
beforeAll(async () => {
  h = await createHarness('visibility');
  const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
  await h.env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: {
      ClusterName: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      Nodes: IndexedValueType.INDEXED_VALUE_TYPE_INT,
      Tags: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
      Healthy: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
      Weight: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
      Created: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
      Notes: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
    },
  });
  const clusters = [
    {
      name: 'orders',
      nodes: 3,
      tags: ['prod', 'eu'],
      healthy: true,
      weight: 1.5,
      created: '2026-01-01T00:00:00Z',
      notes: 'primary replica setup',
    },
    {
      name: 'payments',
      nodes: 1,
      tags: ['prod'],
      healthy: false,
      weight: 0.5,
      created: '2026-06-01T00:00:00Z',
      notes: 'single node',
    },
    {
      name: 'reports',
      nodes: 2,
      tags: ['dev'],
      healthy: true,
      weight: 2.5,
      created: '2026-03-01T00:00:00Z',
      notes: 'analytics replica',
    },
  ];
  for (const c of clusters) {
    await h.env.client.workflow.start(workflows.accumulator, {
      taskQueue: h.taskQueue,
      workflowId: `cluster:${c.name}`,
      typedSearchAttributes: [
        { key: ClusterName, value: c.name },
        { key: Nodes, value: c.nodes },
        { key: Tags, value: c.tags },
        { key: Healthy, value: c.healthy },
        { key: Weight, value: c.weight },
        { key: Created, value: new Date(c.created) },
        { key: Notes, value: c.notes },
      ],
    });
  }
  await h.env.client.workflow.execute(workflows.greeting, {
    taskQueue: h.taskQueue,
    workflowId: 'greeting-done',
    args: ['x'],
  });
});
afterAll(async () => {
  await h?.teardown();
});

/** The server's message behind the client's wrapper error. */
async function serverError(promise: Promise<unknown>): Promise<string> {
  const err = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as { cause?: { message?: string } } | undefined;
  if (!err) throw new Error('expected the call to fail');
  return String(err.cause?.message ?? err);
}

async function ids(query: string): Promise<string[]> {
  const found: string[] = [];
  for await (const wf of h.env.client.workflow.list({ query })) found.push(wf.workflowId);
  return found.sort();
}

describe('visibility queries', () => {
  it.each([
    ["ClusterName = 'orders'", ['cluster:orders']],
    ['Nodes >= 2', ['cluster:orders', 'cluster:reports']],
    ["Tags = 'prod'", ['cluster:orders', 'cluster:payments']],
    ["Tags IN ('eu', 'dev')", ['cluster:orders', 'cluster:reports']],
    ['Healthy = false', ['cluster:payments']],
    ['Weight BETWEEN 1 AND 2', ['cluster:orders']],
    ["Created > '2026-02-01T00:00:00Z'", ['cluster:payments', 'cluster:reports']],
    ["Notes = 'replica'", ['cluster:orders', 'cluster:reports']],
    ["WorkflowId STARTS_WITH 'cluster:'", ['cluster:orders', 'cluster:payments', 'cluster:reports']],
    ["ExecutionStatus = 'Completed'", ['greeting-done']],
    ["ExecutionStatus = 'Running' AND (Nodes = 1 OR ClusterName = 'reports')", ['cluster:payments', 'cluster:reports']],
    ['CloseTime IS NULL AND WorkflowType = "accumulator"', ['cluster:orders', 'cluster:payments', 'cluster:reports']],
    ["TaskQueue = 'visibility' AND WorkflowType = 'greeting'", ['greeting-done']],
  ])('%s', async (query, expected) => {
    expect(await ids(query)).toEqual(expected);
  });

  it('returns search attributes with their types, so typed decoding works', async () => {
    const found = [];
    for await (const wf of h.env.client.workflow.list({ query: "ClusterName = 'orders'" })) found.push(wf);
    expect(found[0].typedSearchAttributes.get(ClusterName)).toBe('orders');
    expect(found[0].typedSearchAttributes.get(Nodes)).toBe(3);
    expect(found[0].typedSearchAttributes.get(Created)).toEqual(new Date('2026-01-01T00:00:00Z'));
    const described = await h.env.client.workflow.getHandle('cluster:orders').describe();
    expect(described.typedSearchAttributes.get(Tags)).toEqual(['prod', 'eu']);
  });

  it('orders by a custom attribute', async () => {
    const ordered: string[] = [];
    for await (const wf of h.env.client.workflow.list({ query: "WorkflowType = 'accumulator' ORDER BY Nodes DESC" })) {
      ordered.push(wf.workflowId);
    }
    expect(ordered).toEqual(['cluster:orders', 'cluster:reports', 'cluster:payments']);
  });

  it('counts, and groups counts by execution status', async () => {
    expect((await h.env.client.workflow.count("WorkflowId STARTS_WITH 'cluster:'")).count).toBe(3);
    const grouped = await h.env.client.workflow.count('GROUP BY ExecutionStatus');
    const byStatus = Object.fromEntries(grouped.groups.map((g) => [g.groupValues[0], g.count]));
    expect(byStatus).toMatchObject({ Running: 3, Completed: 1 });
  });

  it('rejects a malformed query and an unknown attribute with INVALID_ARGUMENT naming the problem', async () => {
    expect(await serverError(ids('ClusterName = '))).toMatch(/INVALID_ARGUMENT.*syntax error/);
    expect(await serverError(ids("NoSuchAttribute = 'x'"))).toMatch(
      /INVALID_ARGUMENT.*NoSuchAttribute.*is not a valid search attribute/,
    );
  });

  it('lists, removes and refuses bad search attribute registrations', async () => {
    const listed = await h.env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(listed.customAttributes?.ClusterName).toBe(
      temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    );
    expect(listed.systemAttributes?.WorkflowId).toBeDefined();
    await expect(
      h.env.connection.operatorService.addSearchAttributes({
        namespace: 'default',
        searchAttributes: { WorkflowId: 2 },
      }),
    ).rejects.toThrow(/reserved/);
    await expect(
      h.env.connection.operatorService.removeSearchAttributes({ namespace: 'default', searchAttributes: ['Unknown'] }),
    ).rejects.toThrow(/doesn't exist/);
  });

  it('refuses to start a workflow with an unregistered search attribute', async () => {
    const message = await serverError(
      h.env.client.workflow.start(workflows.accumulator, {
        taskQueue: h.taskQueue,
        workflowId: 'bad-sa',
        searchAttributes: { NotRegistered: ['x'] },
      }),
    );
    expect(message).toMatch(/INVALID_ARGUMENT.*search attribute NotRegistered is not defined/);
  });
});

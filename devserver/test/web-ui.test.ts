/** The read calls the Temporal Web UI makes, on the dev-server form (real namespaces, real time). */
import { NamespaceNotFoundError } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import Long from 'long';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './fixtures/env';
import * as workflows from './fixtures/workflows';

let h: Harness;
beforeAll(async () => {
  h = await createHarness('web-ui', { local: true });
});
afterAll(async () => {
  await h?.teardown();
});

const service = () => h.env.connection.workflowService;

describe('namespaces', () => {
  it('lists and describes namespaces, registers new ones and refuses duplicates', async () => {
    const listed = await service().listNamespaces({});
    expect(listed.namespaces!.map((n) => n.namespaceInfo!.name)).toContain('default');
    await service().registerNamespace({
      namespace: 'team-a',
      description: 'team A',
      workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(3 * 86400) },
    });
    const described = await service().describeNamespace({ namespace: 'team-a' });
    expect(described.namespaceInfo).toMatchObject({ name: 'team-a', description: 'team A' });
    expect(Number(described.config!.workflowExecutionRetentionTtl!.seconds)).toBe(3 * 86400);
    await expect(service().registerNamespace({ namespace: 'team-a' })).rejects.toMatchObject({ code: 6 });
  });

  it('refuses an unknown namespace with the error the SDK turns into NamespaceNotFoundError', async () => {
    const { Client } = await import('@temporalio/client');
    const client = new Client({ connection: h.env.connection, namespace: 'no-such-namespace' });
    const err = await client.workflow
      .start(workflows.greeting, { taskQueue: h.taskQueue, workflowId: 'x', args: ['y'] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NamespaceNotFoundError);
  });
});

describe('workflow details', () => {
  it('describes pending children and the task queue pollers', async () => {
    const handle = await h.env.client.workflow.start(workflows.parentThatLeaves, {
      taskQueue: h.taskQueue,
      workflowId: 'ui-parent',
      args: ['ABANDON'],
    });
    await handle.result();
    const queue = await service().describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: h.taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    expect(queue.pollers!.length).toBeGreaterThan(0);
    const child = await h.env.client.workflow.getHandle('ui-parent-child').describe();
    expect(child.parentExecution?.workflowId).toBe('ui-parent');
    await h.env.client.workflow.getHandle('ui-parent-child').terminate();
  });

  it('answers the stack trace and metadata queries the UI sends', async () => {
    const handle = await h.env.client.workflow.start(workflows.updatable, {
      taskQueue: h.taskQueue,
      workflowId: 'ui-meta',
    });
    const stack = await handle.query<string>('__stack_trace');
    expect(stack).toContain('updatable');
    const metadata = await handle.query<{ definition?: { type?: string; updateDefinitions?: { name: string }[] } }>(
      '__temporal_workflow_metadata',
    );
    expect(metadata.definition?.type).toBe('updatable');
    expect(metadata.definition?.updateDefinitions?.map((u) => u.name)).toEqual(
      expect.arrayContaining(['setValue', 'slow']),
    );
    await handle.terminate();
  });
});

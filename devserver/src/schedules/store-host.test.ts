import { describe, expect, it } from 'vitest';
import { Clock } from '../clock';
import { durationFromMs } from '../proto';
import { Store } from '../store';
import type { RunOutcome, StartWorkflowRequest } from './host';
import { StoreSchedulerHost } from './store-host';

const NS = 'default';

function setUp() {
  const clock = new Clock(true, { startMs: Date.UTC(2024, 0, 1) });
  const store = new Store(clock, () => {}, { autoRegisterNamespaces: true, retention: false });
  return { clock, store, host: new StoreSchedulerHost(store) };
}

const request = (workflowId: string, extra: Partial<StartWorkflowRequest> = {}): StartWorkflowRequest => ({
  namespace: NS,
  workflowId,
  workflowType: { name: 'Job' },
  taskQueue: { name: 'q' },
  requestId: crypto.randomUUID(),
  ...extra,
});

const watch = (host: StoreSchedulerHost, workflowId: string, runId: string) =>
  new Promise<RunOutcome>((resolve) => host.watchRun(NS, workflowId, runId, resolve));

describe('StoreSchedulerHost', () => {
  it('reports a terminated run to its watchers on the next clock turn, not from inside the close', async () => {
    const { host, store } = setUp();
    const runId = host.startWorkflow(request('job-1'));
    expect(host.isRunning(NS, 'job-1', runId)).toBe(true);
    let reported: RunOutcome | undefined;
    host.watchRun(NS, 'job-1', runId, (outcome) => (reported = outcome));
    host.terminateRun(NS, 'job-1', runId, 'terminated by schedule overlap policy');
    expect(reported).toBeUndefined();
    await new Promise((resolve) => setImmediate(resolve));
    expect(reported).toMatchObject({ status: 5 });
    expect(host.isRunning(NS, 'job-1', runId)).toBe(false);
    const close = store.find(NS, 'job-1', runId)!.history.lastEvent;
    expect(close?.workflowExecutionTerminatedEventAttributes?.reason).toBe('terminated by schedule overlap policy');
  });

  it('reports at once for a run already closed, and status 0 for a run it does not know', async () => {
    const { host } = setUp();
    const runId = host.startWorkflow(request('job-2'));
    host.terminateRun(NS, 'job-2', runId, 'done');
    expect((await watch(host, 'job-2', runId)).status).toBe(5);
    expect((await watch(host, 'job-2', 'no-such-run')).status).toBe(0);
  });

  it('follows retries to the last run of the chain', async () => {
    const { host, clock, store } = setUp();
    // Each run times out after a second (before its first task is due); one retry.
    const runId = host.startWorkflow(
      request('job-3', {
        workflowRunTimeout: durationFromMs(1000),
        workflowStartDelay: durationFromMs(60_000),
        retryPolicy: { maximumAttempts: 2, initialInterval: durationFromMs(1000) },
      }),
    );
    const outcome = watch(host, 'job-3', runId);
    clock.unlockExternally();
    expect((await outcome).status).toBe(7);
    const last = store.find(NS, 'job-3')!;
    expect(last.key.runId).not.toBe(runId);
    expect(last.config.attempt).toBe(2);
    expect(host.isRunning(NS, 'job-3', runId)).toBe(false);
    clock.stop();
  });

  it('asks for cancellation of the open run of the chain only', () => {
    const { host, store } = setUp();
    const first = host.startWorkflow(request('job-4'));
    host.cancelRun(NS, 'job-4', 'another-chain', 'cancelled by schedule overlap policy');
    expect(store.find(NS, 'job-4', first)!.cancelRequested).toBe(false);
    host.cancelRun(NS, 'job-4', first, 'cancelled by schedule overlap policy');
    expect(store.find(NS, 'job-4', first)!.cancelRequested).toBe(true);
  });
});

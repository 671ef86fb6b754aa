/**
 * The README's "Your first cluster", run as written: every shell block of the walkthrough is pasted,
 * in order, into one bash session next to a real product process (its main command, worker,
 * devserver and PostgreSQL engines), and after each block the product is checked over HTTP and on
 * the machine. A block that fails, or a step the README adds or drops, fails this test.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterView } from '../../workflows/types';
import {
  cleanupProduct,
  makeDataDir,
  PROJECT_ROOT,
  recordedProcesses,
  startProductProcess,
  type ProductProcess,
} from './runtime-product';
import { readmeWalkthrough, type ReadmeStep } from './runtime-readme';
import { ShellSession, type StepOutput } from './runtime-shell';

/** The URL the README uses; the test's product listens elsewhere. */
const README_API = 'http://127.0.0.1:8080';
const README_UI = 'http://127.0.0.1:8233';
const STEP_TIMEOUT_MS = 5 * 60_000;
const EXPECTED_STEPS = ['setup', 'create', 'progress', 'write', 'promote', 'backup', 'restore', 'ui', 'delete'];

const steps = readmeWalkthrough(path.join(PROJECT_ROOT, 'README.md'), 'Your first cluster');
let workDir: string | undefined;
let product: ProductProcess | undefined;
let shell: ShellSession | undefined;

beforeAll(async () => {
  // The README runs in the directory `npm start` ran in, which holds `.data/`.
  workDir = await makeDataDir('newcomer-');
  product = await startProductProcess({ dataDir: path.join(workDir, '.data') });
  shell = new ShellSession({ cwd: workDir, env: { PATH: process.env.PATH, HOME: workDir, LANG: 'C.UTF-8' } });
}, 120_000);

afterAll(async () => {
  shell?.kill();
  await cleanupProduct(product, product?.dataDir);
  if (workDir) await import('node:fs').then((fs) => fs.promises.rm(workDir!, { recursive: true, force: true }));
});

async function runStep(name: string): Promise<StepOutput> {
  const step: ReadmeStep | undefined = steps.find((s) => s.name === name);
  if (!step) throw new Error(`the README has no step ${name}`);
  expect(step.script, 'every block talks to the API through $API').not.toMatch(/127\.0\.0\.1:8080\/v1/);
  const script = step.script.replaceAll(README_API, product!.url).replaceAll(README_UI, product!.uiUrl!);
  const output = await shell!.run(script, STEP_TIMEOUT_MS);
  expect(output.failures, `step ${name}:\n${output.stdout}\n${output.stderr}`).toEqual([]);
  return output;
}

const cluster = async () => (await product!.api<ClusterView>('GET', '/v1/clusters/shop')).body;

describe('the README walkthrough, on the real product', { timeout: 6 * 60_000 }, () => {
  it('has the steps this test knows, in order', () => {
    expect(steps.map((s) => s.name)).toEqual(EXPECTED_STEPS);
  });

  it('setup: reads the token the product generated', async () => {
    await runStep('setup');
  });

  it('create: answers with the deploy operation', async () => {
    const { stdout } = await runStep('create');
    expect(stdout).toBe('cluster:shop:deploy:1');
  });

  it('progress: shows the step, waits for the deploy, shows a primary and a replica', async () => {
    const { stdout } = await runStep('progress');
    expect(stdout).toMatch(/"stepsTotal": \d+/);
    expect(stdout).toContain('"status": "succeeded"');
    const view = await cluster();
    expect(view.status).toBe('running');
    expect(view.nodes.map((n) => [n.name, n.role, n.status])).toEqual([
      ['shop1', 'primary', 'running'],
      ['shop2', 'replica', 'running'],
    ]);
    expect(stdout).toContain(`"port": ${view.endpoint!.port}`);
  });

  it('write: psql through the endpoint with the credentials from the API', async () => {
    const { stdout } = await runStep('write');
    expect(stdout).toContain('INSERT 0 2');
    expect(stdout).toMatch(/1 \| coffee\n\s+2 \| tea/);
  });

  it('promote: shop2 becomes the primary, the endpoint follows, no order is lost', async () => {
    const { stdout } = await runStep('promote');
    expect(stdout).toContain('"status": "succeeded"');
    expect(stdout).toMatch(/read_only \| orders\s*\n-+\+-+\n\s+f\s+\|\s+2\n/);
    const view = await cluster();
    expect(view.nodes.map((n) => [n.name, n.role])).toEqual([
      ['shop1', 'replica'],
      ['shop2', 'primary'],
    ]);
    expect(view.backups.some((b) => b.kind === 'post-promote' && b.status === 'completed')).toBe(true);
  });

  it('backup: a completed manual backup of the new primary', async () => {
    const { stdout } = await runStep('backup');
    expect(stdout).toContain('"label": "two orders"');
    const backup = (await cluster()).backups.find((b) => b.label === 'two orders');
    expect(backup).toMatchObject({ kind: 'manual', status: 'completed', sourceNode: 'shop2' });
  });

  it('restore: the deleted orders are back', async () => {
    const { stdout } = await runStep('restore');
    expect(stdout).toContain('DELETE 2');
    expect(stdout).toContain('"status": "succeeded"');
    expect(stdout.slice(stdout.lastIndexOf('"status"'))).toMatch(/1 \| coffee\n\s+2 \| tea\n\(2 rows\)/);
  });

  it("ui: Temporal's HTTP API lists the cluster's runs by ClusterName and a promote's history; 401 without a token", async () => {
    const { stdout } = await runStep('ui');
    for (const id of ['cluster:shop', 'cluster:shop:deploy:1', 'cluster:shop:promote:2', 'cluster:shop:restore:4']) {
      expect(stdout).toMatch(new RegExp(`WORKFLOW_EXECUTION_STATUS_\\w+  ${id}\n`));
    }
    expect(stdout).toMatch(/^1 EVENT_TYPE_WORKFLOW_EXECUTION_STARTED/m);
    expect(stdout).toMatch(/EVENT_TYPE_ACTIVITY_TASK_SCHEDULED promoteNode/);
    expect(stdout).toContain('without a token: 401');
  });

  it('delete: the cluster and every process of its nodes are gone; the product stops cleanly', async () => {
    const { stdout } = await runStep('delete');
    expect(stdout).toContain('"status": "succeeded"');
    const answer = await product!.api<ClusterView>('GET', '/v1/clusters/shop');
    expect(answer.status === 404 || answer.body.status === 'deleted').toBe(true);
    const leftovers = (await recordedProcesses(product!.dataDir)).filter((p) => p.alive);
    expect(leftovers).toEqual([]);
    expect(await product!.stop('SIGTERM')).toBe(0);
  });
});

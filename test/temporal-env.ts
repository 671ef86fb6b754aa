/**
 * The one way tests get a Temporal environment: the official SDK's TestWorkflowEnvironment pointed
 * at this project's devserver executable. Workflow bundles are built once and cached on disk by
 * content hash, so every test file of a run (and later runs) reuses them.
 */
import type { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';

type SearchAttributeKey = ReturnType<typeof defineSearchAttributeKey<SearchAttributeType>>;
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..');
export const DEVSERVER_PATH = path.join(PROJECT_ROOT, 'devserver', 'bin', 'temporal-devserver');

const executable = { type: 'existing-path' as const, path: DEVSERVER_PATH };

export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable } });
}

export function createLocalEnv(
  options: { searchAttributes?: SearchAttributeKey[]; extraArgs?: string[] } = {},
): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: { executable, searchAttributes: options.searchAttributes, extraArgs: options.extraArgs },
  });
}

const CACHE_DIR = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'workflow-bundles');

function sourceFilesUnder(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') files.push(...sourceFilesUnder(full));
    else if (/\.(ts|js)$/.test(entry.name) && !entry.name.endsWith('.test.ts')) files.push(full);
  }
  return files.sort();
}

/** `path` itself, or with .ts / index.ts appended (vitest's require cannot resolve TypeScript). */
function resolveSource(p: string): string {
  for (const candidate of [p, `${p}.ts`, path.join(p, 'index.ts')]) {
    if (existsSync(candidate) && !statSync(candidate).isDirectory()) return candidate;
  }
  throw new Error(`workflow module not found: ${p}`);
}

const inProcess = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/**
 * A bundle of the workflows exported by `workflowsPath`. The cache key covers every source file in
 * the directories that workflow code may import from (`extraDirs`, default the module's directory).
 */
export function workflowBundle(workflowsPath: string, extraDirs: string[] = []): Promise<WorkflowBundleWithSourceMap> {
  const resolved = resolveSource(workflowsPath);
  const dirs = [path.dirname(resolved), ...extraDirs];
  const hash = createHash('sha256');
  hash.update(resolved);
  for (const file of dirs.flatMap(sourceFilesUnder)) {
    hash.update(file);
    hash.update(readFileSync(file));
  }
  const key = hash.digest('hex').slice(0, 24);
  let bundle = inProcess.get(key);
  if (!bundle) {
    bundle = loadOrBuild(resolved, key);
    inProcess.set(key, bundle);
  }
  return bundle;
}

async function loadOrBuild(workflowsPath: string, key: string): Promise<WorkflowBundleWithSourceMap> {
  const file = path.join(CACHE_DIR, `${key}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as WorkflowBundleWithSourceMap;
  const bundle = await bundleWorkflowCode({ workflowsPath, logger: quietLogger });
  mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(bundle));
  renameSync(tmp, file);
  return bundle;
}

const noop = () => {};
const quietLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

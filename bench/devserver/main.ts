/**
 * `npm run bench:devserver`: throughput, latency and CPU of the devserver under the official SDK, for
 * {1, 2} worker processes × {in memory, journal}; then its startup time and journal recovery time.
 * Prints its figures; not part of the test suites.
 */
import { Client, Connection } from '@temporalio/client';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { workflowBundle } from '../../test/temporal-env';
import { buildProject } from './build';
import { Cleanup } from './cleanup';
import { measureStartup, startDevserver } from './devserver';
import { BenchUsageError } from './errors';
import { runLoad } from './load';
import { type BenchOptions, parseOptions } from './options';
import { machineBusySeconds, ownCpuSeconds } from './proc-stat';
import { measureRecovery, type RecoveryMeasurement } from './recovery';
import {
  type ConfigResult,
  formatComparison,
  formatRecovery,
  formatResults,
  formatStartup,
  label,
  type StartupResult,
  type Storage,
  sum,
  throughput,
} from './report';
import { median, percentile } from './stats';
import { startWorkerProcess, type WorkerProcess } from './workers';

const CONFIGURATIONS: { storage: Storage; workers: number }[] = [
  { storage: 'memory', workers: 1 },
  { storage: 'memory', workers: 2 },
  { storage: 'journal', workers: 1 },
  { storage: 'journal', workers: 2 },
];

const loadAverage = () => os.loadavg()[0];
const difference = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? undefined : a - b;
const note = (message: string) => console.log(`  (${message})`);

async function runConfiguration(
  config: { storage: Storage; workers: number },
  options: BenchOptions,
  context: { cleanup: Cleanup; workDir: string; workflowCodePath: string },
): Promise<{ result: ConfigResult; journal?: string }> {
  const { cleanup, workDir, workflowCodePath } = context;
  const name = `${config.storage}-${config.workers}w`;
  const journal = config.storage === 'journal' ? path.join(workDir, `${name}.journal`) : undefined;
  const server = await startDevserver({ dbFilename: journal, track: cleanup.track, log: note });
  const workers: WorkerProcess[] = [];
  let connection: Connection | undefined;
  try {
    const taskQueue = `bench-${name}`;
    workers.push(
      ...(await Promise.all(
        Array.from({ length: config.workers }, () =>
          startWorkerProcess({ address: server.address, taskQueue, workflowCodePath }, cleanup.track),
        ),
      )),
    );
    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const failures = [server.died, ...workers.map((w) => w.died)];
    const load = (idPrefix: string, count: number) =>
      Promise.race([runLoad(client, { taskQueue, idPrefix, count, concurrency: options.concurrency }), ...failures]);

    if (options.warmup > 0) await load(`${name}-warmup`, options.warmup);
    const cpuNow = () => ({
      server: server.cpuSeconds(),
      workers: sum(workers.map((w) => w.cpuSeconds())),
      client: ownCpuSeconds(),
      machine: machineBusySeconds(),
    });
    const before = cpuNow();
    const measured = await load(`${name}-measured`, options.workflows);
    const after = cpuNow();
    const used = (key: keyof typeof before) => difference(after[key], before[key]);
    const ours = sum([used('server'), used('workers'), used('client')]);
    const others = difference(used('machine'), ours);
    return {
      journal,
      result: {
        ...config,
        completed: measured.completed,
        wallMs: measured.wallMs,
        p50Ms: percentile(measured.latenciesMs, 0.5),
        p99Ms: percentile(measured.latenciesMs, 0.99),
        maxMs: percentile(measured.latenciesMs, 1),
        devserverCpuS: used('server'),
        workersCpuS: used('workers'),
        clientCpuS: used('client')!,
        // Rounding of the /proc figures can make a nearly idle machine's share slightly negative.
        othersCpuS: others === undefined ? undefined : Math.max(0, others),
        compiled: server.compiled,
      },
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await connection?.close();
    // A journal run ends in a crash (SIGKILL): every answered request is already on disk, and the
    // recovery measured afterwards is the one a crash leads to.
    await server.stop(journal ? 'SIGKILL' : 'SIGTERM');
  }
}

async function bench(options: BenchOptions, cleanup: Cleanup): Promise<void> {
  console.log(
    `devserver benchmark: ${os.cpus().length} CPUs, Node ${process.version}, load average ` +
      `${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  console.log(
    `workload: ${options.warmup} warm-up + ${options.workflows} measured workflows per configuration, ` +
      `${options.concurrency} in flight (client.workflow.execute; one activity returning its input); ` +
      'SDK client and Worker options at their defaults',
  );

  const build = buildProject();
  if (!build.succeeded) {
    console.log(`npm run build reported errors (tsc still emitted):\n${build.diagnostics}`);
  }
  if (!build.compiledDevserverIsCurrent) {
    console.log('warning: dist/ is older than devserver/src; the devserver runs through tsx and is slower');
  }

  const workDir = cleanup.tempDir('devserver-bench-');
  const bundle = await workflowBundle(path.join(__dirname, 'workload', 'workflows.ts'));
  const workflowCodePath = path.join(workDir, 'workflows.js');
  writeFileSync(workflowCodePath, bundle.code);

  const results: ConfigResult[] = [];
  let lastJournal: string | undefined;
  for (const config of CONFIGURATIONS) {
    console.log(`running ${label(config)} (load average ${loadAverage().toFixed(2)})`);
    const { result, journal } = await runConfiguration(config, options, { cleanup, workDir, workflowCodePath });
    console.log(`  ${throughput(result).toFixed(0)} workflows/s`);
    results.push(result);
    if (journal) lastJournal = journal;
  }

  console.log('measuring startup and recovery ...');
  await measureStartup(cleanup.track); // discarded: warms the file cache and this process's gRPC client
  const startup: StartupResult = { listeningMs: [], firstRpcMs: [], compiled: true };
  for (let i = 0; i < options.startups; i++) {
    const { listeningMs, firstRpcMs, compiled } = await measureStartup(cleanup.track);
    startup.listeningMs.push(listeningMs);
    startup.firstRpcMs.push(firstRpcMs);
    startup.compiled &&= compiled;
  }

  const recoveries: { what: string; recovery: RecoveryMeasurement }[] = [];
  if (lastJournal) {
    const expectedRuns = options.warmup + options.workflows;
    const afterCrash = await measureRecovery(lastJournal, cleanup.track);
    recoveries.push({ what: `after the "${label(CONFIGURATIONS.at(-1)!)}" run (killed)`, recovery: afterCrash });
    recoveries.push({
      what: 'again (file compacted by the first start)',
      recovery: await measureRecovery(lastJournal, cleanup.track),
    });
    if (afterCrash.runs !== expectedRuns || afterCrash.openRuns !== 0) {
      console.log(
        `ERROR: the journal held ${afterCrash.runs} runs (${afterCrash.openRuns} open); expected ${expectedRuns} closed`,
      );
      process.exitCode = 1;
    }
  }

  console.log('');
  console.log(formatResults(results, os.cpus().length));
  console.log('');
  console.log(formatComparison(results));
  console.log('');
  console.log(formatStartup(startup, median));
  if (recoveries.length > 0) console.log(formatRecovery(recoveries));
  console.log(
    `load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

function main(): void {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof BenchUsageError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
  const cleanup = new Cleanup();
  process.on('exit', () => cleanup.release());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      cleanup.release();
      process.exit(130);
    });
  }
  bench(options, cleanup).then(
    () => cleanup.release(),
    (err: unknown) => {
      console.error(`\ndevserver benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      cleanup.release();
      // Exit now: after a failed run the SDK client may still have retry timers pending on its
      // closed channel, which would otherwise throw once they fire.
      process.exit(1);
    },
  );
}

main();

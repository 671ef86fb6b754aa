/**
 * `npm run bench:promotion`: what a client sees while the product promotes a replica. Per engine, a
 * primary + 2 replicas cluster is deployed through the product (devserver in real time, the
 * product's worker with its real activities, local provider), a writer writes continuously through
 * the cluster endpoint, and the cluster entity's promote Update moves the primary round the nodes
 * `--rounds` times. Printed per promotion: the downtime (longest stretch between acknowledged
 * writes), failed and lost writes, the operation's wall time and its phases from the workflow
 * history; per engine: median, min and max, and the ratio to the seeds' 2-minute allowance.
 * Not part of the test suites.
 *
 *   npm run bench:promotion -- [--engines postgresql,mysql,redis] [--rounds 5]
 */
import os from 'node:os';
import { benchmarkEngine, type EngineResult } from './engine-run';
import { startEnvironment, type BenchEnvironment, type Leftovers } from './environment';
import { BenchUsageError } from './errors';
import { parseOptions, USAGE } from './options';
import { engineReport } from './report';

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${line}`);

function machineNote(): string {
  const cpus = os.cpus();
  return `${cpus.length} CPUs (${cpus[0]?.model ?? 'unknown'}), load average ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

function reportLeftovers(leftovers: Leftovers): void {
  if (leftovers.reaped.length > 0) log(`reaped at the end (still running then): ${leftovers.reaped.join(', ')}`);
  if (leftovers.remaining.length > 0) {
    log(`STILL THERE after cleanup: ${leftovers.remaining.join('; ')}`);
    process.exitCode = 1;
  } else {
    log('cleanup checked: no engine, front, worker or devserver process left, temporary directory removed');
  }
}

/** After a signal, the handler releases everything and exits the process; main has nothing more to do. */
const untilTheSignalHandlerExits = () => new Promise<number>(() => undefined);

async function main(): Promise<number> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof BenchUsageError)) throw err;
    console.error(err.message);
    return 2;
  }
  if (options === undefined) {
    console.log(USAGE);
    return 0;
  }

  log(`starting the devserver and the product's worker; ${machineNote()}`);
  const starting = startEnvironment();
  let environment: BenchEnvironment | undefined;
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping; removing every process and the temporary directory`);
    // A signal during startup: the environment is released once it is up (or has failed and cleaned up).
    void starting
      .then((started) => started.release())
      .then(reportLeftovers, () => undefined)
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const results: EngineResult[] = [];
  try {
    try {
      environment = await starting;
    } catch (err) {
      // A signal during startup kills the devserver too (same process group): not an error to print.
      if (interrupted) return untilTheSignalHandlerExits();
      throw err;
    }
    if (interrupted) return untilTheSignalHandlerExits();
    for (const engine of options.engines) {
      results.push(await benchmarkEngine(environment.client, engine, options.rounds, log));
      if (interrupted) return untilTheSignalHandlerExits();
    }
  } finally {
    if (!interrupted && environment) reportLeftovers(await environment.release());
  }

  console.log(`\nPromotion benchmark: ${options.rounds} promotion(s) per engine; ${machineNote()} at the end\n`);
  for (const result of results) console.log(`${engineReport(result)}\n`);
  console.log(
    'downtime: longest stretch between two acknowledged writes of one writer (1 write in flight, through the endpoint);\n' +
      '  at: where it lies (endpoint switch = the switch ended inside it; else the phase running at its middle)\n' +
      'outage: longest such stretch with failed writes in it; resumed−switch: its end minus the end of the endpoint switch\n' +
      'fence→switch: fence scheduled → endpoint switch closed (in brackets: time between activities: workflow tasks)\n' +
      'operation: promote Update accepted → operation workflow closed; phases from its history (activity scheduled → closed)',
  );
  const failed = results.some((r) => r.error !== undefined || r.rounds.some((round) => round.lostWrites > 0));
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(process.exitCode === 1 ? 1 : code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);

/** Turns the measurements into the printed report: a table, the anchors, and the targets. */
import type { RecoveryMeasurement } from './recovery';

export type Storage = 'memory' | 'journal';

export interface ConfigResult {
  storage: Storage;
  workers: number;
  completed: number;
  wallMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** CPU seconds during the measured phase; undefined where /proc could not tell. */
  devserverCpuS?: number;
  workersCpuS?: number;
  clientCpuS: number;
  /** The devserver ran compiled JavaScript (not the sources through tsx). */
  compiled: boolean;
  /** CPU seconds other processes on the machine used during the measured phase. */
  othersCpuS?: number;
}

export interface StartupResult {
  listeningMs: number[];
  firstRpcMs: number[];
  /** Every start ran the compiled devserver. */
  compiled: boolean;
}

/** Workflows per second this project aims for on a 2-core machine. */
export const TARGETS: Record<Storage, number> = { memory: 300, journal: 150 };

export const ANCHORS = [
  'Temporal CLI dev server (SQLite), Python SDK published benchmark: about 20–90 workflows/s',
  'Temporalite with persistence: reported 10–20 workflows/s',
];

export const throughput = (r: ConfigResult) => r.completed / (r.wallMs / 1000);

/** The sum, or undefined when any part is unknown. */
export function sum(values: readonly (number | undefined)[]): number | undefined {
  let total = 0;
  for (const value of values) {
    if (value === undefined) return undefined;
    total += value;
  }
  return total;
}

const fixed = (value: number | undefined, digits: number) => (value === undefined ? '?' : value.toFixed(digits));

export function label(r: Pick<ConfigResult, 'storage' | 'workers'>): string {
  return `${r.storage === 'memory' ? 'in memory' : 'journal'}, ${r.workers} worker${r.workers === 1 ? '' : 's'}`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** CPU milliseconds per completed workflow. */
const perWorkflowMs = (cpuS: number | undefined, r: ConfigResult) =>
  cpuS === undefined ? undefined : (1000 * cpuS) / r.completed;

/**
 * The table. "ceiling" is the throughput at which the devserver, workers and client together would
 * use every core: the most this machine could do with no other load (the CPU cost per workflow
 * measured here, on `cores` cores).
 */
export function formatResults(results: readonly ConfigResult[], cores: number): string {
  const rows = results.map((r) => {
    const target = TARGETS[r.storage];
    const total = sum([r.devserverCpuS, r.workersCpuS, r.clientCpuS]);
    const totalMs = perWorkflowMs(total, r);
    return [
      label(r),
      fixed(throughput(r), 0),
      fixed(r.p50Ms, 0),
      fixed(r.p99Ms, 0),
      fixed(r.maxMs, 0),
      r.devserverCpuS === undefined ? '?' : `${Math.round((100 * r.devserverCpuS) / (r.wallMs / 1000))}%`,
      fixed(perWorkflowMs(r.devserverCpuS, r), 2),
      fixed(perWorkflowMs(r.workersCpuS, r), 2),
      fixed(perWorkflowMs(r.clientCpuS, r), 2),
      fixed(totalMs, 2),
      totalMs === undefined ? '?' : fixed((cores * 1000) / totalMs, 0),
      r.othersCpuS === undefined ? '?' : fixed(r.othersCpuS / (r.wallMs / 1000), 2),
      `≥${target}: ${throughput(r) >= target ? 'met' : 'NOT met'}`,
    ];
  });
  const header = ['configuration', 'wf/s', 'p50 ms', 'p99 ms', 'max ms', 'server busy'];
  header.push('CPU ms/wf: server', 'workers', 'client', 'total', 'ceiling wf/s', 'others', 'target');
  const notes = [
    'server busy = devserver CPU time / wall time (100% = one core); ceiling = cores × 1000 / total CPU ms per workflow;',
    'others = cores used meanwhile by other processes on the machine (busy CPU in /proc/stat minus ours).',
    ...results.filter((r) => !r.compiled).map((r) => `note: ${label(r)} ran the devserver through tsx (not compiled)`),
  ];
  return [table(header, rows), ...notes].join('\n');
}

export function formatComparison(results: readonly ConfigResult[]): string {
  const lines = ['Anchors (other Temporal dev servers, published figures):', ...ANCHORS.map((a) => `  ${a}`)];
  for (const storage of ['memory', 'journal'] as const) {
    const ours = results.filter((r) => r.storage === storage);
    if (ours.length === 0) continue;
    const best = Math.max(...ours.map(throughput));
    lines.push(
      `Target ${storage === 'memory' ? 'in memory' : 'with journal'}: ≥${TARGETS[storage]} workflows/s — ` +
        ours
          .map(
            (r) => `${label(r)} ${throughput(r).toFixed(0)} (${throughput(r) >= TARGETS[storage] ? 'met' : 'NOT met'})`,
          )
          .join(', ') +
        `; best ${best.toFixed(0)} = ${(best / 90).toFixed(1)}× the top of the CLI dev server's 20–90 range`,
    );
  }
  return lines.join('\n');
}

export function formatStartup(startup: StartupResult, median: (samples: number[]) => number): string {
  const samples = (values: number[]) => values.map((v) => v.toFixed(0)).join(', ');
  return [
    `Devserver startup, in memory (median of ${startup.listeningMs.length}; samples in ms)` +
      (startup.compiled ? ':' : ' (some starts ran through tsx):'),
    `  spawn → port accepts TCP:          ${median(startup.listeningMs).toFixed(0)} ms  [${samples(startup.listeningMs)}]`,
    `  spawn → first GetSystemInfo reply: ${median(startup.firstRpcMs).toFixed(0)} ms  [${samples(startup.firstRpcMs)}]`,
  ].join('\n');
}

export function formatRecovery(recoveries: readonly { what: string; recovery: RecoveryMeasurement }[]): string {
  const lines = ['Journal recovery (the `journal recovered` line at --log-level info):'];
  for (const { what, recovery: r } of recoveries) {
    lines.push(
      `  ${what}: file ${(r.fileBytes / 1024 / 1024).toFixed(1)} MiB, ${r.records} records, ${r.runs} runs ` +
        `(${r.openRuns} open), ${r.events} events → durationMs ${r.durationMs}; spawn → accepting ${r.listeningMs.toFixed(0)} ms` +
        (r.compiled ? '' : ' (devserver ran through tsx)'),
    );
  }
  return lines.join('\n');
}

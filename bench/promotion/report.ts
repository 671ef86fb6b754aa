/** The printed figures: a table of rounds and a summary per engine. */
import type { EngineResult } from './engine-run';
import { phaseTimes, type Phase } from './phases';
import type { RoundResult } from './round';
import { median, summarize } from './stats';

/** The seeds' hosted services allow "up to 2 minutes of downtime" for a promotion. */
export const SEED_ALLOWANCE_MS = 120_000;

const PHASE_COLUMNS: [Phase | 'between', string][] = [
  ['health gate', 'gate'],
  ['fence', 'fence'],
  ['catch-up', 'catch-up'],
  ['promote', 'promote'],
  ['endpoint switch', 'switch'],
  ['re-point', 're-point'],
  ['post-promote backup', 'backup'],
  ['between', 'between'],
];

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const optional = (ms: number | undefined) => (ms === undefined ? '-' : String(Math.round(ms)));

/** "downtime median 0.60 s = 200× under 120 s". */
export function allowanceRatio(medianMs: number): string {
  const allowance = `${SEED_ALLOWANCE_MS / 1000} s`;
  const head = `downtime median ${seconds(medianMs)} s`;
  if (medianMs <= 0) return `${head}: no measurable downtime (allowance ${allowance})`;
  const ratio = SEED_ALLOWANCE_MS / medianMs;
  const times = (x: number) => (x >= 10 ? Math.round(x).toString() : x.toFixed(1));
  return ratio >= 1
    ? `${head} = ${times(ratio)}× under ${allowance}`
    : `${head} = ${times(1 / ratio)}× over ${allowance}`;
}

export function roundsTable(rounds: RoundResult[]): string {
  const header = [
    'round',
    'promotion',
    'downtime ms',
    'at',
    'outage ms',
    'failed',
    'resumed−switch ms',
    'fence→switch ms (between)',
    'operation s',
    ...PHASE_COLUMNS.map(([, label]) => `${label} ms`),
    'lost',
  ];
  const rows = rounds.map((r) => {
    const phases = phaseTimes(r.timeline);
    return [
      String(r.round),
      `${r.from} → ${r.to}`,
      String(r.unavailability.gapMs),
      r.gapPhase,
      optional(r.unavailability.longestOutage?.gapMs),
      String(r.unavailability.failedWrites),
      optional(r.outageEndAfterSwitchMs),
      r.fenceToSwitch ? `${r.fenceToSwitch.ms} (${r.fenceToSwitch.betweenMs})` : '-',
      seconds(r.operationMs),
      ...PHASE_COLUMNS.map(([phase]) => optional(phases.get(phase))),
      `${r.lostWrites}/${r.checkedWrites}`,
    ];
  });
  return table(header, rows);
}

export function summaryTable(rounds: RoundResult[]): string {
  const row = (label: string, samples: number[]) => {
    if (samples.length === 0) return [label, '-', '-', '-'];
    const s = summarize(samples);
    return [label, ...[s.median, s.min, s.max].map(seconds)];
  };
  return table(
    ['', 'median', 'min', 'max'],
    [
      row(
        'downtime (s)',
        rounds.map((r) => r.unavailability.gapMs),
      ),
      row(
        'outage (s)',
        rounds.flatMap((r) => (r.unavailability.longestOutage ? [r.unavailability.longestOutage.gapMs] : [])),
      ),
      row(
        'operation (s)',
        rounds.map((r) => r.operationMs),
      ),
    ],
  );
}

/** The client errors seen during the promotions, most frequent first. */
export function errorsSeen(rounds: RoundResult[], limit = 4): string[] {
  const counts = new Map<string, number>();
  for (const r of rounds) {
    for (const [message, count] of r.unavailability.errors) counts.set(message, (counts.get(message) ?? 0) + count);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([message, count]) => `${count}× ${message.length > 100 ? `${message.slice(0, 97)}...` : message}`);
}

export function engineReport(result: EngineResult): string {
  const { rounds } = result;
  const title =
    `${result.engine} ${result.version}: ${rounds.length} promotion(s), 1 primary + 2 replicas` +
    (result.deployMs === undefined ? '' : ` (deployed in ${seconds(result.deployMs)} s)`);
  const lines = [title];
  if (rounds.length > 0) {
    const lost = rounds.reduce((sum, r) => sum + r.lostWrites, 0);
    const checked = rounds.at(-1)!.checkedWrites;
    const downtimeMedian = median(rounds.map((r) => r.unavailability.gapMs));
    const refusals = rounds.reduce((sum, r) => sum + r.refusals, 0);
    const beforeBackup = rounds.filter((r) => r.resumedBeforeBackup).length;
    const notAtSwitch = rounds.filter((r) => r.gapPhase !== 'endpoint switch');
    lines.push(
      roundsTable(rounds),
      '',
      summaryTable(rounds),
      `failed writes median ${median(rounds.map((r) => r.unavailability.failedWrites))}; ` +
        `lost writes ${lost} (every acknowledged write looked for on the new primary after each promotion; ${checked} at the end)`,
      allowanceRatio(downtimeMedian),
      `the outage ended before the post-promote backup began in ${beforeBackup} of ${rounds.length} promotions` +
        (refusals > 0 ? `; ${refusals} health-gate refusal(s) before a promotion went ahead` : ''),
    );
    if (notAtSwitch.length > 0) {
      lines.push(
        `the longest gap was not the switch in ${notAtSwitch.length} of ${rounds.length} promotions ` +
          `(writes stalled in: ${[...new Set(notAtSwitch.map((r) => r.gapPhase))].join(', ')})`,
      );
    }
    const errors = errorsSeen(rounds);
    if (errors.length > 0) lines.push(`client errors during the gaps: ${errors.join('; ')}`);
  }
  if (result.error) lines.push(`STOPPED EARLY: ${result.error}`);
  return lines.join('\n');
}

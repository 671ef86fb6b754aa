import { describe, expect, it } from 'vitest';
import { type ConfigResult, formatComparison, formatResults, sum, throughput } from './report';

const result = (overrides: Partial<ConfigResult>): ConfigResult => ({
  storage: 'memory',
  workers: 1,
  completed: 2000,
  wallMs: 5000,
  p50Ms: 400,
  p99Ms: 900,
  maxMs: 1000,
  devserverCpuS: 4,
  workersCpuS: 10,
  clientCpuS: 2,
  compiled: true,
  othersCpuS: 2.5,
  ...overrides,
});

describe('report', () => {
  it('computes throughput, per-workflow CPU and the CPU ceiling', () => {
    const r = result({});
    expect(throughput(r)).toBe(400);
    const table = formatResults([r], 2);
    const row = table.split('\n')[2];
    // 4 s of server CPU over 5 s; 2, 5, 1 and 8 ms per workflow; 2 cores / 8 ms = 250 workflows/s.
    expect(row.split(/\s{2,}/)).toEqual([
      'in memory, 1 worker',
      '400',
      '400',
      '900',
      '1000',
      '80%',
      '2.00',
      '5.00',
      '1.00',
      '8.00',
      '250',
      '0.50',
      '≥300: met',
    ]);
  });

  it('judges each configuration against its own target', () => {
    const slowJournal = result({ storage: 'journal', workers: 2, wallMs: 20_000 });
    expect(formatResults([slowJournal], 2)).toContain('≥150: NOT met');
    expect(formatComparison([result({}), slowJournal])).toMatch(
      /with journal: ≥150 workflows\/s — journal, 2 workers 100 \(NOT met\)/,
    );
  });

  it('shows unknown CPU figures as ? and flags a devserver that ran through tsx', () => {
    const table = formatResults([result({ devserverCpuS: undefined, compiled: false })], 2);
    expect(table).toContain('?');
    expect(table).toContain('ran the devserver through tsx');
    expect(sum([1, undefined])).toBeUndefined();
  });
});

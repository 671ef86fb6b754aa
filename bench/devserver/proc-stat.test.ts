import { describe, expect, it } from 'vitest';
import { cpuSecondsOf, parseCpuSeconds, parseMachineBusySeconds } from './proc-stat';

describe('parseCpuSeconds', () => {
  it('adds utime and stime (fields 14 and 15) in clock ticks', () => {
    const stat = '4242 (node) S 1 4242 4242 0 -1 4194560 12 0 0 0 250 50 0 0 20 0 11 0 100 0 0';
    expect(parseCpuSeconds(stat, 100)).toBe(3);
  });

  it('counts fields after the last parenthesis, so a command name with spaces and parentheses is fine', () => {
    const stat = '7 (we (ird) name) R 1 7 7 0 -1 0 0 0 0 0 120 80 0 0 20 0 1 0 5 0 0';
    expect(parseCpuSeconds(stat, 100)).toBe(2);
  });

  it('rejects text that is not a stat line', () => {
    expect(() => parseCpuSeconds('garbage', 100)).toThrow(/unexpected \/proc stat format/);
  });
});

describe('parseMachineBusySeconds', () => {
  it('adds every busy column of the all-cores line and leaves idle and iowait out', () => {
    const stat = 'cpu  100 20 30 5000 70 1 2 3 0 0\ncpu0 50 10 15 2500 35 1 1 2 0 0\nintr 1 2 3\n';
    expect(parseMachineBusySeconds(stat, 100)).toBe(1.56);
  });

  it('rejects text without a cpu line', () => {
    expect(() => parseMachineBusySeconds('intr 1 2 3\n', 100)).toThrow(/unexpected \/proc\/stat format/);
  });
});

describe.runIf(process.platform === 'linux')('cpuSecondsOf', () => {
  it('reads this process’s CPU time, and nothing for a process that does not exist', () => {
    const start = performance.now();
    while (performance.now() - start < 50); // burn a little CPU so the figure cannot be 0 ticks
    expect(cpuSecondsOf(process.pid)).toBeGreaterThan(0);
    expect(cpuSecondsOf(2 ** 22 + 1)).toBeUndefined(); // above Linux's pid_max
  });
});

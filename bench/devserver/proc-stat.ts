/**
 * CPU time of a process from /proc/<pid>/stat (user + system, all threads), so the benchmark can
 * say where the machine's cores went. Linux only; elsewhere the figures are reported as unknown.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's time fields (sysconf(_SC_CLK_TCK)); 100 on every common Linux. */
function clockTicksPerSecond(): number {
  const answer = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(answer.stdout?.trim());
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
}

let ticksPerSecond: number | undefined;

/**
 * User + system CPU seconds from the text of /proc/<pid>/stat. The command name (field 2) is in
 * parentheses and may itself contain spaces or parentheses, so fields are counted after the last ')'.
 */
export function parseCpuSeconds(statText: string, ticks: number): number {
  const afterName = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  // afterName[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(afterName[11]);
  const stime = Number(afterName[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`unexpected /proc stat format: ${JSON.stringify(statText.slice(0, 200))}`);
  }
  return (utime + stime) / ticks;
}

/** CPU seconds used so far by process `pid`, or undefined when /proc cannot tell (not Linux, exited). */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    ticksPerSecond ??= clockTicksPerSecond();
    return parseCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'), ticksPerSecond);
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds the whole machine has been busy (all cores: user, nice, system, irq, softirq, steal)
 * from the text of /proc/stat. Minus the benchmark's own processes, it is what others used meanwhile.
 */
export function parseMachineBusySeconds(procStatText: string, ticks: number): number {
  const line = procStatText.split('\n').find((l) => l.startsWith('cpu '));
  const fields = line?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  if (fields.length < 8 || fields.some((f) => !Number.isFinite(f))) {
    throw new Error(`unexpected /proc/stat format: ${JSON.stringify(line ?? procStatText.slice(0, 200))}`);
  }
  const [user, nice, system, , , irq, softirq, steal] = fields;
  return (user + nice + system + irq + softirq + steal) / ticks;
}

/** CPU seconds the machine has been busy so far, or undefined when /proc cannot tell. */
export function machineBusySeconds(): number | undefined {
  try {
    ticksPerSecond ??= clockTicksPerSecond();
    return parseMachineBusySeconds(readFileSync('/proc/stat', 'utf8'), ticksPerSecond);
  } catch {
    return undefined;
  }
}

/** CPU seconds used so far by this process (the benchmark's client). */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

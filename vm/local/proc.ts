/**
 * Linux process identity through /proc. A pid alone is not an identity: after a crash the recorded pid
 * may belong to an unrelated process. A process is ours when its pid, its start time (clock ticks since
 * boot) and the boot id all match what was recorded when it was spawned, and its command line still
 * names the recorded command.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { basename } from 'node:path';

export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks after boot. */
  startTime: string;
  bootId: string;
}

interface ProcStat {
  /** R, S, D, Z (zombie), X (dead), ... */
  state: string;
  pgrp: number;
  startTime: string;
}

/** What a recorded identity refers to now. `foreign`: the pid was recycled by an unrelated process. */
export type ProcessStatus = 'alive' | 'dead' | 'foreign';

let cachedBootId: string | undefined;

export function bootId(): string {
  cachedBootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return cachedBootId;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], pgrp: Number(fields[2]), startTime: fields[19] };
}

function readCmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/** Captures the identity of a just-spawned process; undefined when it has already gone. */
export function identify(pid: number): ProcessIdentity | undefined {
  const stat = readStat(pid);
  return stat === undefined ? undefined : { pid, startTime: stat.startTime, bootId: bootId() };
}

/**
 * Checks whether the recorded process is still running. A zombie counts as dead (its parent, possibly
 * init after our own crash, has not reaped it yet). The command check is lenient on purpose: some
 * engines rewrite their process title (redis-server does), but the title still contains the program name.
 */
export function processStatus(identity: ProcessIdentity, command: string): ProcessStatus {
  const stat = readStat(identity.pid);
  if (stat === undefined) return 'dead';
  if (stat.startTime !== identity.startTime || identity.bootId !== bootId()) return 'foreign';
  if (stat.state === 'Z' || stat.state === 'X') return 'dead';
  const cmdline = readCmdline(identity.pid);
  // An empty command line means the process is exiting; kernel threads never match our identities.
  if (cmdline === undefined || cmdline === '') return 'dead';
  return cmdline.includes(basename(command)) ? 'alive' : 'foreign';
}

/** Live (non-zombie) members of a process group. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') {
      members.push(Number(entry));
    }
  }
  return members;
}

/** Sends a signal, ignoring "no such process". */
export function sendSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

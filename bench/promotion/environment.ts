/**
 * The product as the benchmark runs it: the end-to-end tests' environment (devserver in real time
 * with the search attributes registered, the product's worker in its own process with the real
 * activities over a temporary data directory, local provider). Its release proves that nothing is
 * left: the nodes' processes are reaped, and afterwards no process names the temporary directory
 * and this process has no child left.
 */
import type { Client } from '@temporalio/client';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createE2eEnv } from '../../test/e2e/e2e-env';
import { processesUsing } from '../../test/e2e/e2e-processes';

export interface Leftovers {
  /** Engine, firewall or endpoint processes still running at the end (reaped then). */
  reaped: string[];
  /** Processes (or the temporary directory) still there after the cleanup: a bug to report. */
  remaining: string[];
}

export interface BenchEnvironment {
  client: Client;
  root: string;
  /** Idempotent: a second call (signal during the normal end) waits for the first. */
  release(): Promise<Leftovers>;
}

/** How long processes may take to vanish from /proc after being killed. */
const SETTLE_MS = 5_000;

export async function startEnvironment(): Promise<BenchEnvironment> {
  const e2e = await createE2eEnv('promotion-bench');
  let released: Promise<Leftovers> | undefined;
  return {
    client: e2e.env.client,
    root: e2e.root,
    release() {
      released ??= (async () => {
        const reaped = await e2e.teardown();
        const remaining = await survivors(e2e.root);
        if (existsSync(e2e.root)) remaining.push(`directory ${e2e.root}`);
        return { reaped, remaining };
      })();
      return released;
    },
  };
}

async function survivors(root: string): Promise<string[]> {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const found = [...processesUsing(root), ...childrenOf(process.pid)];
    if (found.length === 0 || Date.now() > deadline) return found;
    await sleep(100);
  }
}

/** Live (not zombie) child processes of `pid`, as `<pid>: <command line>`. */
export function childrenOf(pid: number): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    let stat: string;
    let cmdline: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command name (which may hold spaces and parentheses): state, ppid, ...
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // tsx's esbuild service is this process's TypeScript loader, not something the benchmark started.
    if (Number(ppid) === pid && state !== 'Z' && !/esbuild --service/.test(cmdline)) found.push(`${entry}: ${cmdline}`);
  }
  return found;
}

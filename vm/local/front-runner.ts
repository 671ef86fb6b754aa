/**
 * Runs a TCP front (node firewall or cluster endpoint) as a supervised detached process and makes
 * configuration changes take effect before the call that made them returns: the config file is written
 * atomically, the front is started or adopted, then asked over its control socket to reload until it
 * reports the new generation.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

import { ProcessStartError } from '../errors';
import { resolveNodeEntry } from './entry-point';
import { controlSocketPath, writeFrontConfig, type FrontConfig } from './front-config';
import { sendControl } from './front-control';
import type { LocalSupervisor } from './supervisor';

export interface FrontPaths {
  dir: string;
  config: string;
  log: string;
  pid: string;
  socket: string;
}

export type FrontSettings = Omit<FrontConfig, 'controlSocket'>;

/** How long a front may take to start (tsx compiles the source on a loaded machine) and apply a change. */
const APPLY_TIMEOUT_MS = 30_000;
const RETRY_DELAY_MS = 50;

export class FrontRunner {
  constructor(private readonly processes: LocalSupervisor) {}

  static paths(dir: string): FrontPaths {
    return {
      dir,
      config: join(dir, 'config.json'),
      log: join(dir, 'front.log'),
      pid: join(dir, 'front.pid'),
      socket: controlSocketPath(join(dir, 'control.sock')),
    };
  }

  async apply(key: string, paths: FrontPaths, settings: FrontSettings): Promise<void> {
    // Only the provider's user may reach the control socket (it can rewrite the allowlist).
    await fs.mkdir(paths.dir, { recursive: true, mode: 0o700 });
    await writeFrontConfig(paths.config, { ...settings, controlSocket: paths.socket });
    const entry = resolveNodeEntry('vm/local/front', [paths.config]);
    await this.processes.ensure(key, { command: entry.command, args: entry.args, logFile: paths.log }, paths.pid);
    await this.waitApplied(paths, settings);
  }

  private async waitApplied(paths: FrontPaths, settings: FrontSettings): Promise<void> {
    const deadline = Date.now() + APPLY_TIMEOUT_MS;
    let lastProblem = 'no answer yet';
    while (Date.now() < deadline) {
      try {
        const reply = await sendControl(paths.socket, { op: 'reload' });
        if (reply.ok && (reply.generation ?? 0) >= settings.generation) return;
        lastProblem = reply.error ?? `front reports generation ${reply.generation}`;
      } catch (error) {
        // Not listening yet (starting, or being restarted by the supervisor): try again shortly.
        lastProblem = (error as Error).message;
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
    }
    throw new ProcessStartError(
      `${settings.label} did not apply configuration ${settings.generation} within ${APPLY_TIMEOUT_MS / 1000} s (${lastProblem}); see ${paths.log}`,
    );
  }
}

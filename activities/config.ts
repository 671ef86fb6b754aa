/**
 * The worker's environment, read in one place. Every variable has a default, so a fresh machine
 * needs none of them.
 *
 * | variable                          | default                             | meaning                                                          |
 * | --------------------------------- | ----------------------------------- | ---------------------------------------------------------------- |
 * | `DATA_DIR`                        | `./.data`                           | nodes (`vm/`), backups (`backups/`), audit logs (`audit/`)       |
 * | `VM_HOST`                         | `127.0.0.1`                         | address the local provider's engines, firewalls, endpoints use   |
 * | `VM_PORT_RANGE`                   | provider's default                  | ports the local provider allocates from, as `FROM-TO`            |
 * | `SMTP_URL`                        | unset: no email                     | mail server, e.g. `smtp://user:pass@mail:587`, `smtps://mail:465` |
 * | `SMTP_FROM`                       | `dbcluster-orchestrator@localhost`  | sender of notification emails                                    |
 * | `SMTP_TIMEOUT_MS`                 | `15000`                             | connect / greeting / socket timeout for the mail server          |
 * | `WEBHOOK_TIMEOUT_MS`              | `10000`                             | how long a webhook may take to answer                            |
 * | `WORKER_MAX_CACHED_WORKFLOWS`     | `250`                               | workflows kept in the worker's cache (~1 MB each)                |
 * | `WORKER_MAX_CONCURRENT_ACTIVITIES`| `16`                                | activities one worker runs at once                               |
 * | `WORKER_SHUTDOWN_GRACE_MS`        | `30000`                             | on shutdown, how long running activities may finish              |
 * | `WORKER_SHUTDOWN_FORCE_MS`        | `60000`                             | on shutdown, when the worker gives up waiting and exits          |
 */
import path from 'node:path';
import { ConfigurationError } from './errors';

/** What the worker uses when neither the environment nor its caller says otherwise. */
export const WORKER_DEFAULTS = {
  maxCachedWorkflows: 250,
  // Engine work (dumps, restores) is disk- and CPU-heavy; more at once would only slow each down.
  maxConcurrentActivities: 16,
  shutdownGraceMs: 30_000,
  shutdownForceMs: 60_000,
};

export interface ActivitiesConfig {
  /** Absolute. */
  dataDir: string;
  vmHost: string;
  vmPortRange?: [number, number];
  smtpUrl?: string;
  smtpFrom: string;
  smtpTimeoutMs: number;
  webhookTimeoutMs: number;
  worker: {
    maxCachedWorkflows: number;
    maxConcurrentActivities: number;
    shutdownGraceMs: number;
    shutdownForceMs: number;
  };
}

export function readActivitiesConfig(env: NodeJS.ProcessEnv = process.env): ActivitiesConfig {
  const smtpUrl = nonEmpty(env.SMTP_URL);
  if (smtpUrl !== undefined && !/^smtps?:\/\//i.test(smtpUrl)) {
    // The value may hold a password: name the variable, not its content.
    throw new ConfigurationError('SMTP_URL must start with smtp:// or smtps://');
  }
  return {
    dataDir: path.resolve(nonEmpty(env.DATA_DIR) ?? './.data'),
    vmHost: nonEmpty(env.VM_HOST) ?? '127.0.0.1',
    vmPortRange: portRange(env.VM_PORT_RANGE),
    smtpUrl,
    smtpFrom: nonEmpty(env.SMTP_FROM) ?? 'dbcluster-orchestrator@localhost',
    smtpTimeoutMs: positiveInteger(env, 'SMTP_TIMEOUT_MS', 15_000),
    webhookTimeoutMs: positiveInteger(env, 'WEBHOOK_TIMEOUT_MS', 10_000),
    worker: {
      maxCachedWorkflows: positiveInteger(env, 'WORKER_MAX_CACHED_WORKFLOWS', WORKER_DEFAULTS.maxCachedWorkflows),
      maxConcurrentActivities: positiveInteger(
        env,
        'WORKER_MAX_CONCURRENT_ACTIVITIES',
        WORKER_DEFAULTS.maxConcurrentActivities,
      ),
      shutdownGraceMs: positiveInteger(env, 'WORKER_SHUTDOWN_GRACE_MS', WORKER_DEFAULTS.shutdownGraceMs),
      shutdownForceMs: positiveInteger(env, 'WORKER_SHUTDOWN_FORCE_MS', WORKER_DEFAULTS.shutdownForceMs),
    },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ConfigurationError(`${name} must be a positive whole number, not ${JSON.stringify(raw)}`);
  }
  return value;
}

function portRange(value: string | undefined): [number, number] | undefined {
  const raw = nonEmpty(value);
  if (raw === undefined) return undefined;
  const match = /^(\d{1,5})-(\d{1,5})$/.exec(raw);
  const [from, to] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!(from >= 1024 && to <= 65535 && from <= to)) {
    throw new ConfigurationError(
      `VM_PORT_RANGE must be FROM-TO with 1024 <= FROM <= TO <= 65535, not ${JSON.stringify(raw)}`,
    );
  }
  return [from, to];
}

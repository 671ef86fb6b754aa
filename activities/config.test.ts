import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readActivitiesConfig, WORKER_DEFAULTS } from './config';
import { ConfigurationError } from './errors';

describe('readActivitiesConfig', () => {
  it('has a default for everything', () => {
    const config = readActivitiesConfig({});
    expect(config).toEqual({
      dataDir: path.resolve('.data'),
      vmHost: '127.0.0.1',
      vmPortRange: undefined,
      smtpUrl: undefined,
      smtpFrom: 'dbcluster-orchestrator@localhost',
      smtpTimeoutMs: 15_000,
      webhookTimeoutMs: 10_000,
      worker: WORKER_DEFAULTS,
    });
  });

  it('reads every variable', () => {
    const config = readActivitiesConfig({
      DATA_DIR: '/srv/dbcluster',
      VM_HOST: '127.0.0.5',
      VM_PORT_RANGE: '30000-30999',
      SMTP_URL: 'smtp://user:pw@mail.example:587',
      SMTP_FROM: 'ops@example.com',
      SMTP_TIMEOUT_MS: '2000',
      WEBHOOK_TIMEOUT_MS: '3000',
      WORKER_MAX_CACHED_WORKFLOWS: '10',
      WORKER_MAX_CONCURRENT_ACTIVITIES: '4',
      WORKER_SHUTDOWN_GRACE_MS: '5000',
      WORKER_SHUTDOWN_FORCE_MS: '9000',
    });
    expect(config).toEqual({
      dataDir: '/srv/dbcluster',
      vmHost: '127.0.0.5',
      vmPortRange: [30000, 30999],
      smtpUrl: 'smtp://user:pw@mail.example:587',
      smtpFrom: 'ops@example.com',
      smtpTimeoutMs: 2000,
      webhookTimeoutMs: 3000,
      worker: { maxCachedWorkflows: 10, maxConcurrentActivities: 4, shutdownGraceMs: 5000, shutdownForceMs: 9000 },
    });
  });

  it('treats empty values as unset', () => {
    expect(readActivitiesConfig({ SMTP_URL: ' ', DATA_DIR: '' }).smtpUrl).toBeUndefined();
  });

  it('names the variable that is wrong, and never quotes the SMTP URL (it may hold a password)', () => {
    expect(() => readActivitiesConfig({ WEBHOOK_TIMEOUT_MS: '-1' })).toThrow(
      new ConfigurationError('WEBHOOK_TIMEOUT_MS must be a positive whole number, not "-1"'),
    );
    expect(() => readActivitiesConfig({ VM_PORT_RANGE: '9000-80' })).toThrow(/VM_PORT_RANGE must be FROM-TO/);
    const error = (() => {
      try {
        readActivitiesConfig({ SMTP_URL: 'http://user:topsecret@mail' });
      } catch (err) {
        return err as Error;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error?.message).toBe('SMTP_URL must start with smtp:// or smtps://');
  });
});

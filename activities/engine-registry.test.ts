/**
 * The registry against the engines installed on this machine: which driver serves which engine, and
 * how a missing engine or version reaches a workflow (a non-retryable EngineUnavailableError).
 */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { activityEnv, depsFor, notUsedHere, rejectionOf } from '../test/activities-support';
import type { ProcessSupervisor } from '../vm/types';
import { ENGINES, type Engine } from '../workflows/types';
import { createEngineRegistry, hasReplicaSlots } from './engine-registry';
import { createActivities } from './index';

// Checking availability never starts a process.
const registry = createEngineRegistry({ supervisor: notUsedHere<ProcessSupervisor>('supervisor') });

describe('createEngineRegistry', () => {
  it('gives every engine a driver that serves that engine', () => {
    for (const engine of ENGINES) expect(registry(engine).engine).toBe(engine);
  });

  it('shares drivers by family: PostgreSQL flavours have replica slots, the others do not', () => {
    const withSlots = ENGINES.filter((engine) => hasReplicaSlots(registry(engine)));
    expect(withSlots).toEqual(['postgresql', 'timescaledb', 'hydra']);
    expect(registry('keydb').capabilities.multiMaster).toBe(true);
    expect(registry('mysql').capabilities.multiMaster).toBe(true);
    expect(registry('redis').capabilities.multiMaster).toBe(false);
    expect(registry('timescaledb').capabilities.extension).toBe('timescaledb');
    expect(registry('hydra').capabilities.extension).toBe('columnar');
  });

  it('builds each driver once', () => {
    expect(registry('valkey')).toBe(registry('valkey'));
  });

  it('refuses an unknown engine by name', () => {
    expect(() => registry('oracle' as Engine)).toThrow(/unknown engine "oracle"; supported engines are mysql, /);
  });
});

describe('checkEngineAvailable', () => {
  const activities = createActivities(depsFor({ engines: registry }));

  it('fails for good, as EngineUnavailableError, for a version no engine has', async () => {
    for (const engine of ENGINES) {
      const failure = await rejectionOf(activityEnv().run(activities.checkEngineAvailable, engine, '99.99'));
      expect(failure, engine).toBeInstanceOf(ApplicationFailure);
      expect((failure as ApplicationFailure).type, engine).toBe('EngineUnavailableError');
      expect((failure as ApplicationFailure).nonRetryable, engine).toBe(true);
    }
  });

  it('fails the same way for an engine the activity does not know', async () => {
    const failure = await rejectionOf(activityEnv().run(activities.checkEngineAvailable, 'oracle' as Engine, '19'));
    expect((failure as ApplicationFailure).type).toBe('EngineUnavailableError');
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
  });

  it('passes for the engines this machine has (PostgreSQL, MariaDB, Redis)', async () => {
    const installed = { postgresql: '15', mysql: '10.11', redis: '7' } as const;
    for (const [engine, version] of Object.entries(installed)) {
      await expect(
        activityEnv().run(activities.checkEngineAvailable, engine as Engine, version),
        engine,
      ).resolves.toBeUndefined();
    }
  });
});

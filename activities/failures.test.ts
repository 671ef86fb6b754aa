import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { EngineUnavailableError, NodeNotReadyError } from '../engines/errors';
import { ReplicaDivergedError } from '../engines/mysql';
import { secretsIn, toActivityFailure, withFailureMapping } from './failures';

describe('toActivityFailure', () => {
  it('turns an InfraError into a failure of its class name that retries only when the error says so', () => {
    const final = toActivityFailure(new EngineUnavailableError('no timescaledb here'), []) as ApplicationFailure;
    expect(final).toBeInstanceOf(ApplicationFailure);
    expect(final.type).toBe('EngineUnavailableError');
    expect(final.message).toBe('no timescaledb here');
    expect(final.nonRetryable).toBe(true);

    const passing = toActivityFailure(new NodeNotReadyError('starting'), []) as ApplicationFailure;
    expect(passing.type).toBe('NodeNotReadyError');
    expect(passing.nonRetryable).toBe(false);
  });

  it("maps the drivers' own error classes the same way", () => {
    const failure = toActivityFailure(new ReplicaDivergedError('has extra GTIDs'), []) as ApplicationFailure;
    expect(failure.type).toBe('ReplicaDivergedError');
    expect(failure.nonRetryable).toBe(true);
  });

  it('keeps unknown errors retryable and names them by their class', () => {
    const failure = toActivityFailure(new TypeError('boom'), []) as ApplicationFailure;
    expect(failure.type).toBe('TypeError');
    expect(failure.nonRetryable).toBe(false);
    const thrownString = toActivityFailure('plain string', []) as ApplicationFailure;
    expect(thrownString.type).toBe('Error');
    expect(thrownString.nonRetryable).toBe(false);
  });

  it('passes cancellations and ready-made failures through untouched', () => {
    const cancelled = new CancelledFailure('cancelled');
    expect(toActivityFailure(cancelled, [])).toBe(cancelled);
    const ready = ApplicationFailure.create({ type: 'X', message: 'y', nonRetryable: true });
    expect(toActivityFailure(ready, [])).toBe(ready);
  });

  it('scrubs secrets from the message and the stack', () => {
    const error = new Error('connect failed for postgres://admin:hunter2-secret@db:5432');
    const failure = toActivityFailure(error, ['hunter2-secret']) as ApplicationFailure;
    expect(failure.message).toBe('connect failed for postgres://admin:***@db:5432');
    expect(failure.stack).not.toContain('hunter2-secret');
    expect(failure.stack).toContain('failures.test.ts');
  });
});

describe('secretsIn', () => {
  it('finds every password-like value in nested arguments and nothing else', () => {
    const args = [
      {
        cluster: 'orders',
        credentials: { adminUser: 'admin', adminPassword: 'a-pass', replicationPassword: 'r-pass' },
      },
      { host: 'h', port: 1, user: 'u', password: 'src-pass' },
      'plain',
    ];
    expect([...secretsIn(args)].sort()).toEqual(['a-pass', 'r-pass', 'src-pass']);
  });
});

describe('withFailureMapping', () => {
  it('maps what each wrapped function throws, redacting passwords from its own arguments', async () => {
    const lines: object[] = [];
    const wrapped = withFailureMapping(
      {
        async connect(source: { password: string }) {
          throw new NodeNotReadyError(`server rejected ${source.password}`);
        },
        async fine() {
          return 42;
        },
      },
      (line, fields) => lines.push({ line, ...fields }),
    );
    expect(await wrapped.fine()).toBe(42);
    const failure = await wrapped.connect({ password: 'p4ss-w0rd' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).message).toBe('server rejected ***');
    expect((failure as ApplicationFailure).nonRetryable).toBe(false);
    expect(JSON.stringify(lines)).not.toContain('p4ss-w0rd');
    expect(lines).toEqual([
      {
        line: 'activity failed',
        activity: 'connect',
        type: 'NodeNotReadyError',
        nonRetryable: false,
        message: 'server rejected ***',
      },
    ]);
  });
});

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, fieldLogger, redactPaths, temporalLogger } from './logger';

/** A destination that keeps what the logger writes. */
function capture() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('createLogger', () => {
  it('writes JSON lines with an ISO time, and redacts secrets at any depth', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', pretty: false, destination: out.stream });
    logger.info(
      {
        password: 'p0',
        req: { headers: { authorization: 'Bearer t0' }, body: { source: { host: 'db', password: 'p1' } } },
        a: { b: { c: { d: { e: { adminPassword: 'p2', replicationPassword: 'p3' } } } } },
        credentials: { adminUser: 'dbco_admin', adminPassword: 'p4' },
        token: 't1',
      },
      'request',
    );
    const line = JSON.parse(out.text().trim());
    expect(line).toMatchObject({
      level: 30,
      msg: 'request',
      password: '[redacted]',
      req: { headers: { authorization: '[redacted]' }, body: { source: { host: 'db', password: '[redacted]' } } },
      credentials: '[redacted]',
      token: '[redacted]',
    });
    expect(line.a.b.c.d.e).toEqual({ adminPassword: '[redacted]', replicationPassword: '[redacted]' });
    expect(new Date(line.time).toISOString()).toBe(line.time);
    for (const secret of ['p0', 'p1', 'p2', 'p3', 'p4', 't0', 't1']) expect(out.text()).not.toContain(`"${secret}"`);
  });

  it('writes readable lines when asked (a terminal), still redacted', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', pretty: true, destination: out.stream });
    logger.info({ cluster: 'orders', password: 'p0' }, 'deployed');
    expect(out.text()).toMatch(/INFO.*deployed/);
    expect(out.text()).toContain('orders');
    expect(out.text()).not.toContain('p0');
    expect(() => JSON.parse(out.text())).toThrow();
  });

  it('honours the level', () => {
    const out = capture();
    const logger = createLogger({ level: 'warn', pretty: false, destination: out.stream });
    logger.info('hidden');
    logger.warn('shown');
    expect(out.text()).not.toContain('hidden');
    expect(out.text()).toContain('shown');
  });
});

describe('adapters', () => {
  it("carry the devserver's, activities' and Temporal SDK's lines with their levels and fields", () => {
    const out = capture();
    const logger = createLogger({ level: 'trace', pretty: false, destination: out.stream });
    fieldLogger(logger)('node resumed', { node: 'orders1' });
    fieldLogger(logger, 'warn')('slow', {});
    const sdk = temporalLogger(logger);
    sdk.log('ERROR', 'activity failed', { activityType: 'takeBackup', password: 'p9' });
    sdk.debug('polling');
    const lines = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [30, 'node resumed'],
      [40, 'slow'],
      [50, 'activity failed'],
      [20, 'polling'],
    ]);
    expect(lines[0].node).toBe('orders1');
    expect(lines[2]).toMatchObject({ activityType: 'takeBackup', password: '[redacted]' });
  });

  it('covers each secret key at every depth pino needs spelled out', () => {
    expect(redactPaths(['password'], 2)).toEqual(['password', '*.password', '*.*.password']);
  });
});

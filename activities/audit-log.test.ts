import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidNameError } from '../vm/errors';
import type { AuditEntry } from '../workflows/types';
import { JsonlAuditLog } from './audit-log';

const entry = (n: number, outcome: AuditEntry['outcome'] = 'succeeded'): AuditEntry => ({
  at: `2026-01-01T00:00:${String(n).padStart(2, '0')}.000Z`,
  actor: 'alice',
  action: 'backup',
  target: 'orders',
  outcome,
  detail: `step ${n}`,
});

describe('JsonlAuditLog', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(tmpdir(), 'activities-audit-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('appends JSON lines with sequence numbers and reads them back newest first', async () => {
    const log = new JsonlAuditLog(dir);
    await log.append('orders', [entry(1), entry(2)]);
    await log.append('orders', [entry(3)]);
    const lines = (await fs.readFile(path.join(dir, 'orders.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { seq: 1, ...entry(1) },
      { seq: 2, ...entry(2) },
      { seq: 3, ...entry(3) },
    ]);
    expect((await log.read('orders')).map((r) => r.seq)).toEqual([3, 2, 1]);
    expect(await log.read('billing')).toEqual([]);
  });

  it('pages with limit and before', async () => {
    const log = new JsonlAuditLog(dir);
    await log.append(
      'orders',
      [1, 2, 3, 4, 5].map((n) => entry(n)),
    );
    const first = await log.read('orders', { limit: 2 });
    expect(first.map((r) => r.seq)).toEqual([5, 4]);
    const second = await log.read('orders', { limit: 2, before: first[first.length - 1].seq });
    expect(second.map((r) => r.seq)).toEqual([3, 2]);
    expect(second[0]).toEqual({ seq: 3, ...entry(3) });
    const last = await log.read('orders', { limit: 2, before: 2 });
    expect(last.map((r) => r.seq)).toEqual([1]);
  });

  it('adds nothing when the same entries are appended again, also by a new process', async () => {
    await new JsonlAuditLog(dir).append('orders', [entry(1), entry(2)]);
    const log = new JsonlAuditLog(dir);
    await log.append('orders', [entry(1), entry(2)]);
    await log.append('orders', [entry(2), entry(3)]);
    await log.append('orders', [entry(2), entry(3)]);
    expect((await log.read('orders')).map((r) => [r.seq, r.detail])).toEqual([
      [3, 'step 3'],
      [2, 'step 2'],
      [1, 'step 1'],
    ]);
  });

  it('keeps entries that differ in any field', async () => {
    const log = new JsonlAuditLog(dir);
    await log.append('orders', [entry(1, 'started'), entry(1, 'failed')]);
    expect(await log.read('orders')).toHaveLength(2);
  });

  it('stores only the entry fields, whatever else the caller passes', async () => {
    const log = new JsonlAuditLog(dir);
    await log.append('orders', [{ ...entry(1), password: 'x' } as AuditEntry]);
    expect(await fs.readFile(path.join(dir, 'orders.jsonl'), 'utf8')).not.toContain('password');
  });

  it('keeps concurrent appends whole and in order', async () => {
    const log = new JsonlAuditLog(dir);
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => log.append('orders', [entry(n)])));
    expect((await log.read('orders')).map((r) => r.detail)).toEqual([6, 5, 4, 3, 2, 1].map((n) => `step ${n}`));
  });

  it('survives a line cut short by a crash: the torn line is skipped and later lines stay readable', async () => {
    const file = path.join(dir, 'orders.jsonl');
    await fs.writeFile(file, `${JSON.stringify({ seq: 1, ...entry(1) })}\n{"seq":2,"at":"2026-01-`);
    const log = new JsonlAuditLog(dir);
    await log.append('orders', [entry(3)]);
    expect((await log.read('orders')).map((r) => [r.seq, r.detail])).toEqual([
      [2, 'step 3'],
      [1, 'step 1'],
    ]);
  });

  it('refuses names that are not cluster names (they become file names)', async () => {
    const log = new JsonlAuditLog(dir);
    await expect(log.append('../etc/passwd', [entry(1)])).rejects.toBeInstanceOf(InvalidNameError);
    await expect(log.read('A')).rejects.toBeInstanceOf(InvalidNameError);
  });
});

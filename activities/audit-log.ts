/**
 * The append-only audit log: one JSON line per entry in `<dir>/<cluster>.jsonl`, fsynced before
 * `append` returns. Each line carries a sequence number (`seq`) that pages of `read` are cut at.
 *
 * Appending the same entries again (a retried activity) adds nothing: an entry identical in every
 * field to one already in the file is skipped. One process appends to a directory (the worker);
 * any number may read it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidNameError } from '../vm/errors';
import type { AuditEntry } from '../workflows/types';

export interface AuditRecord extends AuditEntry {
  /** Position in the cluster's log, from 1. */
  seq: number;
}

export interface AuditReadOptions {
  /** Most entries to return (default 100). */
  limit?: number;
  /** Only entries older than this `seq` (the last `seq` of the previous page). */
  before?: number;
}

export interface AuditLog {
  append(cluster: string, entries: AuditEntry[]): Promise<void>;
  /** Newest first. */
  read(cluster: string, options?: AuditReadOptions): Promise<AuditRecord[]>;
}

const CLUSTER_NAME = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;
const DEFAULT_LIMIT = 100;

interface ClusterLog {
  nextSeq: number;
  /** Identities of the entries already written (see `identityOf`). */
  written: Set<string>;
  /** The file ends in the middle of a line (a write cut short by a crash). */
  tornTail: boolean;
}

export class JsonlAuditLog implements AuditLog {
  private readonly logs = new Map<string, Promise<ClusterLog>>();
  /** Appends to one cluster's file run one after the other. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(readonly dir: string) {}

  async append(cluster: string, entries: AuditEntry[]): Promise<void> {
    const file = this.fileOf(cluster);
    const previous = this.queues.get(cluster) ?? Promise.resolve();
    const run = previous.then(() => this.appendNow(cluster, file, entries));
    const settled = run.catch(() => undefined);
    this.queues.set(cluster, settled);
    void settled.then(() => {
      if (this.queues.get(cluster) === settled) this.queues.delete(cluster);
    });
    return run;
  }

  async read(cluster: string, options: AuditReadOptions = {}): Promise<AuditRecord[]> {
    const limit = options.limit ?? DEFAULT_LIMIT;
    const before = options.before ?? Number.POSITIVE_INFINITY;
    const records = parseLines(await readIfExists(this.fileOf(cluster)));
    const page: AuditRecord[] = [];
    for (let i = records.length - 1; i >= 0 && page.length < limit; i--) {
      if (records[i].seq < before) page.push(records[i]);
    }
    return page;
  }

  private fileOf(cluster: string): string {
    if (!CLUSTER_NAME.test(cluster)) {
      throw new InvalidNameError(`cluster name ${JSON.stringify(cluster)} is not a valid cluster name`);
    }
    return path.join(this.dir, `${cluster}.jsonl`);
  }

  private async appendNow(cluster: string, file: string, entries: AuditEntry[]): Promise<void> {
    const log = await this.load(cluster, file);
    const lines: string[] = [];
    let seq = log.nextSeq;
    const identities: string[] = [];
    for (const entry of entries) {
      const identity = identityOf(entry);
      if (log.written.has(identity) || identities.includes(identity)) continue;
      identities.push(identity);
      lines.push(JSON.stringify({ seq: seq++, ...pick(entry) }));
    }
    if (lines.length === 0) return;
    const text = (log.tornTail ? '\n' : '') + lines.join('\n') + '\n';
    const created = log.nextSeq === 1 && !log.tornTail;
    try {
      const handle = await fs.open(file, 'a', 0o600);
      try {
        await handle.chmod(0o600);
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (err) {
      // Part of the text may have reached the file: next time, start again from what is on disk.
      this.logs.delete(cluster);
      throw err;
    }
    // A new file's directory entry must be durable too.
    if (created) await syncDirectory(this.dir);
    log.nextSeq = seq;
    log.tornTail = false;
    for (const identity of identities) log.written.add(identity);
  }

  private load(cluster: string, file: string): Promise<ClusterLog> {
    let loaded = this.logs.get(cluster);
    if (loaded === undefined) {
      loaded = (async () => {
        // Audit logs name who did what to which cluster: the orchestrator's user alone reads them.
        await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
        const text = await readIfExists(file);
        const records = parseLines(text);
        return {
          nextSeq: records.reduce((max, r) => Math.max(max, r.seq), 0) + 1,
          written: new Set(records.map(identityOf)),
          tornTail: text.length > 0 && !text.endsWith('\n'),
        };
      })();
      loaded.catch(() => this.logs.delete(cluster));
      this.logs.set(cluster, loaded);
    }
    return loaded;
  }
}

/** Only the entry's own fields, in a fixed order (callers may pass richer objects). */
function pick(entry: AuditEntry): AuditEntry {
  const { at, actor, action, target, outcome, detail } = entry;
  return { at, actor, action, target, outcome, ...(detail !== undefined ? { detail } : {}) };
}

function identityOf(entry: AuditEntry): string {
  return JSON.stringify(pick(entry));
}

/** Complete JSON lines; a torn or corrupt line is skipped rather than hiding the rest of the log. */
function parseLines(text: string): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const record = JSON.parse(line) as AuditRecord;
      if (typeof record.seq === 'number') records.push(record);
    } catch {
      continue;
    }
  }
  return records;
}

async function readIfExists(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

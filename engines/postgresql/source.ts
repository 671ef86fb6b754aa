/**
 * Migrating from an external PostgreSQL server: checking it (reachable, credentials, version,
 * size, what would block the copy) and copying one database into a node with pg_dump | pg_restore.
 */
import path from 'node:path';
import { Transform } from 'node:stream';
import { InsufficientDiskError, UnsupportedOperationError } from '../errors';
import type { CopyProgress, CopyReport, EngineNode, ExternalSource, SourceReport } from '../types';
import { installationOf, type DriverContext } from './context';
import { extensionInstalled, type PostgresInstallation } from './installation';
import { startTool, ToolFailedError } from './run-tool';
import { ownerOf } from './owner';
import { conninfoValue } from './server-config';
import { adminTarget, classifyConnectError, connect, errorCode, quoteIdent, withClient, type Target } from './sql';

export const DEFAULT_SOURCE_TIMEOUT_MS = 5000;
/** Oldest server pg_dump (15) can dump. */
const OLDEST_DUMPABLE_MAJOR = 9.2;
/** Room to leave beyond the source's size: indexes are rebuilt and WAL is written while loading. */
const DISK_HEADROOM = 1.2;

function sourceTarget(source: ExternalSource): Target {
  return {
    host: source.host,
    port: source.port,
    user: source.user,
    password: source.password,
    database: source.database || 'postgres',
  };
}

export async function checkSource(
  installation: PostgresInstallation,
  source: ExternalSource,
  timeoutMs = DEFAULT_SOURCE_TIMEOUT_MS,
): Promise<SourceReport> {
  const target = sourceTarget(source);
  let client;
  try {
    client = await withDeadline(connectPreferringSsl(target, timeoutMs), timeoutMs);
  } catch (err) {
    if (errorCode(err) === '3D000') {
      return {
        version: 'unknown',
        sizeBytes: 0,
        blockers: [`database ${JSON.stringify(target.database)} does not exist on ${target.host}:${target.port}`],
        warnings: [],
      };
    }
    throw classifyConnectError(err, target, timeoutMs);
  }
  try {
    const info = await client.query<{ version: string; num: number; size: string }>(
      `select current_setting('server_version') as version,
              current_setting('server_version_num')::int as num,
              pg_database_size(current_database())::text as size`,
    );
    const { num, size } = info.rows[0]!;
    // "15.20 (Debian 15.20-0+deb12u1)" → "15.20"
    const version = info.rows[0]!.version.split(' ')[0]!;
    const blockers: string[] = [];
    const warnings: string[] = [];
    const major = num >= 100000 ? Math.floor(num / 10000) : Math.floor(num / 10000) + ((num / 100) % 100) / 10;
    if (major > installation.major) {
      blockers.push(
        `the source runs PostgreSQL ${version}, newer than PostgreSQL ${installation.major} here; ` +
          `choose a cluster version of at least ${Math.floor(major)}`,
      );
    } else if (major < OLDEST_DUMPABLE_MAJOR) {
      blockers.push(`the source runs PostgreSQL ${version}; versions before 9.2 cannot be dumped by this platform`);
    }
    const extensions = await client.query<{ name: string }>(
      `select extname as name from pg_extension where extname <> 'plpgsql' order by 1`,
    );
    for (const { name } of extensions.rows) {
      if (!extensionInstalled(installation, name)) {
        blockers.push(`the source uses the extension ${JSON.stringify(name)}, which is not installed here`);
      }
    }
    const unreadable = await client.query<{ name: string }>(
      `select format('%I.%I', n.nspname, c.relname) as name
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'm', 'S')
          and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
          and not has_table_privilege(c.oid, 'SELECT')
        order by 1 limit 5`,
    );
    if (unreadable.rows.length > 0) {
      blockers.push(
        `user ${JSON.stringify(source.user)} cannot read ${unreadable.rows.map((r) => r.name).join(', ')}` +
          `${unreadable.rows.length === 5 ? ' and more' : ''}; grant it SELECT or use an owner or superuser`,
      );
    }
    warnings.push(
      "roles, ownership and grants are not copied: the copied objects belong to the cluster's owner, " +
        'and extensions only a superuser may create are refused',
    );
    return { version, sizeBytes: Number(size), blockers, warnings };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Like libpq's default sslmode=prefer (which pg_dump uses): encrypted when the server offers it
 * (many hosted servers require it), plain otherwise.
 */
async function connectPreferringSsl(target: Target, timeoutMs: number) {
  const started = Date.now();
  try {
    return await connect(target, timeoutMs, 'orchestrator-migration-check', true);
  } catch (err) {
    if (!/does not support SSL/i.test(err instanceof Error ? err.message : String(err))) throw err;
    return connect(target, Math.max(1, timeoutMs - (Date.now() - started)), 'orchestrator-migration-check', false);
  }
}

/** node-postgres's connect timeout does not cover every stage; this bounds the whole attempt. */
async function withDeadline<T extends { end(): Promise<void> }>(attempt: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
  });
  try {
    return await Promise.race([attempt, deadline]);
  } catch (err) {
    // A connection that completes after the deadline must not linger.
    attempt.then((late) => late.end()).catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Copies the source database into the node's database of the same name (created when missing).
 * Checks the source and the node's free disk before copying anything. Objects present in the dump
 * are dropped and recreated, so running the copy again gives the same result.
 */
export async function copyFromSource(
  ctx: DriverContext,
  source: ExternalSource,
  node: EngineNode,
  onProgress?: (progress: CopyProgress) => void,
): Promise<CopyReport> {
  const started = Date.now();
  const installation = installationOf(ctx, node);
  const report = await checkSource(installation, source);
  if (report.blockers.length > 0) {
    throw new UnsupportedOperationError(
      `cannot copy from ${source.host}:${source.port}: ${report.blockers.join('; ')}`,
    );
  }
  const needed = Math.ceil(report.sizeBytes * DISK_HEADROOM);
  const free = await ctx.freeDiskBytes(node.dataDir);
  if (free < needed) {
    throw new InsufficientDiskError(
      `node ${node.name} has ${free} bytes free but the source database is ${report.sizeBytes} bytes ` +
        `(${needed} needed with room for indexes and WAL); choose a plan with a bigger disk`,
    );
  }
  const database = source.database || 'postgres';
  // The data is loaded as the cluster's owner, never as the admin: what the dump creates belongs to
  // the owner, and nothing in it runs with more than the owner's rights.
  const owner = ownerOf(node);
  await withClient(adminTarget(node), async (client) => {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rows.length === 0) {
      await client.query(`create database ${quoteIdent(database)} owner ${quoteIdent(owner.user)}`);
    }
  });

  let copied = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      copied += chunk.length;
      onProgress?.({ done: copied, unit: 'bytes' });
      done(null, chunk);
    },
  });
  const dump = startTool({
    command: path.join(installation.bindir, 'pg_dump'),
    args: ['--format=custom', '--no-password'],
    env: {
      PGHOST: source.host,
      PGPORT: String(source.port),
      PGUSER: source.user,
      PGPASSWORD: source.password,
      PGDATABASE: database,
      PGCONNECT_TIMEOUT: String(Math.ceil(DEFAULT_SOURCE_TIMEOUT_MS / 1000)),
    },
    streamStdout: true,
  });
  const restore = startTool({
    command: path.join(installation.bindir, 'pg_restore'),
    args: [
      // A connection string, so that no database name is ever read as one.
      `--dbname=dbname=${conninfoValue(database)}`,
      '--clean',
      '--if-exists',
      '--no-owner',
      '--no-privileges',
      '--single-transaction',
      '--exit-on-error',
    ],
    env: {
      PGHOST: node.host,
      PGPORT: String(node.port),
      PGUSER: owner.user,
      PGPASSWORD: owner.password,
    },
    stdin: dump.stdout.pipe(counter),
  });
  // pg_dump would block forever on a full pipe once pg_restore has given up.
  void restore.done.then((result) => result.code !== 0 && dump.kill());
  const [dumped, restored] = await Promise.all([dump.done, restore.done]);
  // pg_dump failing by itself is the cause (pg_restore then fails on the cut-off input); killed by us, it is not.
  if (dumped.code !== 0 && dumped.signal === null) throw new ToolFailedError('pg_dump', dumped);
  if (restored.code !== 0) throw new ToolFailedError('pg_restore', restored);
  ctx.logger.info(
    `node ${node.name}: copied database ${database} from ${source.host}:${source.port} (${copied} bytes)`,
  );
  return { copied, unit: 'bytes', durationMs: Date.now() - started };
}

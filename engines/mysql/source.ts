/**
 * Migrating from an external MySQL/MariaDB server: checking it, then copying it in with
 * `mariadb-dump --single-transaction | mariadb`.
 *
 * What blocks a migration (decided here):
 * - a server version outside MariaDB 10.3–11.x and MySQL 5.7–8.4;
 * - a named database that does not exist, or is a system schema (mysql, sys, ...);
 * - base tables in a non-InnoDB engine (MyISAM, Aria, MEMORY, ...): a single-transaction dump is
 *   not consistent for them, and the cluster's backups and replication assume InnoDB;
 * - MySQL 8 collations (utf8mb4_0900_*) that MariaDB does not have.
 * What only warns: tables without a primary key (row-based replication scans them), objects with a
 * DEFINER (the account must exist on the cluster), MySQL sources (loaded into MariaDB), and a source
 * newer than the cluster's server.
 */
import { Transform } from 'node:stream';
import {
  BadCredentialsError,
  InsufficientDiskError,
  SourceUnreachableError,
  UnsupportedOperationError,
} from '../errors';
import type { CopyProgress, CopyReport, EngineNode, ExternalSource, SourceReport } from '../types';
import type { DriverContext } from './context';
import { OWNER_DATABASE, OWNER_DATABASE_NAME, ownerOf } from './owner';
import { Session, errorShape, withNode } from './session';
import { redact, startTool } from './tools';

export const DEFAULT_SOURCE_TIMEOUT_MS = 5_000;
const SYSTEM_SCHEMAS = ['mysql', 'information_schema', 'performance_schema', 'sys'];
/** How many offending tables a message lists by name. */
const LIST_LIMIT = 10;
/** Loading writes the data once into InnoDB and once into the binlog (replicas receive it from there). */
const DISK_FACTOR = 2;
const DISK_MARGIN_BYTES = 64 * 1024 * 1024;
const PROGRESS_EVERY_BYTES = 1024 * 1024;

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'PROTOCOL_CONNECTION_LOST',
]);
/** Access denied (1045), no password given (1698), host not allowed (1130), no database access (1044). */
const CREDENTIAL_ERRNOS = new Set([1044, 1045, 1130, 1698]);

function address(source: ExternalSource): string {
  return `${source.host}:${source.port}`;
}

async function openSource(source: ExternalSource, timeoutMs: number): Promise<Session> {
  let timer: NodeJS.Timeout | undefined;
  const opening = Session.open(
    { host: source.host, port: source.port, user: source.user, password: source.password, connectTimeoutMs: timeoutMs },
    `source ${address(source)}`,
  );
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), timeoutMs);
  });
  try {
    return await Promise.race([opening, timeout]);
  } catch (error) {
    // A connection that completes after the deadline is closed, not leaked.
    opening.then((late) => late.close()).catch(() => undefined);
    const { code, errno, message } = errorShape(error);
    if (errno !== undefined && CREDENTIAL_ERRNOS.has(errno)) {
      throw new BadCredentialsError(
        `the source ${address(source)} refused user "${source.user}": ${redact(message ?? 'access denied', [source.password])}; check the user name, its password and the hosts it may connect from`,
      );
    }
    const reason =
      code !== undefined && UNREACHABLE_CODES.has(code) ? code : redact(message ?? String(code), [source.password]);
    throw new SourceUnreachableError(
      `cannot reach the MySQL source at ${address(source)} within ${timeoutMs / 1000} s (${reason}); check the host, the port and that the server accepts connections from here`,
    );
  } finally {
    clearTimeout(timer);
  }
}

interface ParsedVersion {
  flavour: 'mariadb' | 'mysql';
  major: number;
  minor: number;
}

function parseVersion(version: string): ParsedVersion {
  const [major, minor] = version.split(/[.-]/).map(Number);
  return { flavour: /mariadb/i.test(version) ? 'mariadb' : 'mysql', major, minor };
}

/** Blocker sentence for an unsupported version, or undefined. */
export function versionBlocker(version: string): string | undefined {
  const { flavour, major, minor } = parseVersion(version);
  const at = major * 100 + minor;
  const supported = flavour === 'mariadb' ? at >= 1003 && major <= 11 : at >= 507 && at <= 804;
  if (supported) return undefined;
  return `the source runs ${flavour === 'mariadb' ? 'MariaDB' : 'MySQL'} ${major}.${minor}, which cannot be migrated; supported are MariaDB 10.3 to 11.x and MySQL 5.7 to 8.4: upgrade the source first`;
}

function listed(names: string[]): string {
  const shown = names.slice(0, LIST_LIMIT).join(', ');
  return names.length > LIST_LIMIT ? `${shown} and ${names.length - LIST_LIMIT} more` : shown;
}

function placeholders(values: unknown[]): string {
  return values.map(() => '?').join(', ');
}

interface Inspection {
  report: SourceReport;
  databases: string[];
}

async function inspect(session: Session, source: ExternalSource, serverVersion: string): Promise<Inspection> {
  const blockers: string[] = [];
  const warnings: string[] = [];
  const versionProblem = versionBlocker(session.version);
  if (versionProblem !== undefined) blockers.push(versionProblem);
  const { flavour, major, minor } = parseVersion(session.version);
  const [ownMajor, ownMinor] = serverVersion.split(/[.-]/).map(Number);
  if (flavour === 'mysql') {
    warnings.push(
      `the source is MySQL ${major}.${minor} and the cluster runs MariaDB ${ownMajor}.${ownMinor}; test the application against the copy`,
    );
  } else if (major * 100 + minor > ownMajor * 100 + ownMinor) {
    warnings.push(
      `the source (MariaDB ${major}.${minor}) is newer than the cluster (MariaDB ${ownMajor}.${ownMinor}); features it added may not load`,
    );
  }

  let databases: string[];
  if (source.database !== undefined && source.database.toLowerCase() === OWNER_DATABASE) {
    blockers.push(
      `database "${source.database}" holds the cluster's own procedures and is never migrated; name an application database`,
    );
    databases = [];
  } else if (source.database !== undefined && SYSTEM_SCHEMAS.includes(source.database.toLowerCase())) {
    // Loading the source's mysql schema would replace the cluster's own accounts.
    blockers.push(
      `database "${source.database}" is a system database and is never migrated; name an application database`,
    );
    databases = [];
  } else if (source.database !== undefined && source.database !== '') {
    const found = await session.query({
      sql: 'SELECT SCHEMA_NAME AS `name` FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      values: [source.database],
    });
    if (found.length === 0) {
      blockers.push(
        `database "${source.database}" does not exist on the source (or user "${source.user}" cannot see it)`,
      );
    }
    databases = [source.database];
  } else {
    const rows = await session.query({
      sql: `SELECT SCHEMA_NAME AS \`name\` FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN (${placeholders(SYSTEM_SCHEMAS)}) ORDER BY 1`,
      values: SYSTEM_SCHEMAS,
    });
    databases = rows.map((row) => String(row.name));
    if (databases.length === 0)
      warnings.push('the source has no databases besides the system ones; nothing would be copied');
  }
  // A name the owner could not create is refused (one starting with '-' would also read as a tool option).
  const unusable = databases.filter((name) => !OWNER_DATABASE_NAME.test(name) || name.toLowerCase() === OWNER_DATABASE);
  if (unusable.length > 0) {
    blockers.push(
      `database names ${listed(unusable.map((name) => JSON.stringify(name)))} cannot be migrated: a cluster's databases are named with up to 64 letters, digits, _, $ or -, not starting with -; rename them on the source or name another database`,
    );
  }
  if (databases.length === 0)
    return { report: { version: session.version, sizeBytes: 0, blockers, warnings }, databases };

  const inList = placeholders(databases);
  const size = await session.one({
    sql: `SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) AS \`bytes\` FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (${inList})`,
    values: databases,
  });

  const otherEngines = await session.query({
    sql:
      "SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME, ' (', ENGINE, ')') AS `name` FROM information_schema.TABLES " +
      `WHERE TABLE_TYPE = 'BASE TABLE' AND ENGINE <> 'InnoDB' AND TABLE_SCHEMA IN (${inList}) ORDER BY 1`,
    values: databases,
  });
  if (otherEngines.length > 0) {
    blockers.push(
      `tables that are not InnoDB cannot be copied consistently: ${listed(otherEngines.map((row) => String(row.name)))}; convert them with ALTER TABLE ... ENGINE=InnoDB`,
    );
  }

  const mysqlCollations = await session.query({
    sql:
      "SELECT DISTINCT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) AS `name` FROM information_schema.COLUMNS " +
      `WHERE COLLATION_NAME LIKE '%\\_0900\\_%' AND TABLE_SCHEMA IN (${inList}) ORDER BY 1`,
    values: databases,
  });
  if (mysqlCollations.length > 0) {
    blockers.push(
      `tables use MySQL 8 collations (utf8mb4_0900_*) that MariaDB lacks: ${listed(mysqlCollations.map((row) => String(row.name)))}; convert them to utf8mb4_unicode_ci first`,
    );
  }

  const withoutKey = await session.query({
    sql:
      "SELECT CONCAT(t.TABLE_SCHEMA, '.', t.TABLE_NAME) AS `name` FROM information_schema.TABLES t " +
      "LEFT JOIN information_schema.TABLE_CONSTRAINTS c ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME AND c.CONSTRAINT_TYPE = 'PRIMARY KEY' " +
      `WHERE t.TABLE_TYPE = 'BASE TABLE' AND c.CONSTRAINT_NAME IS NULL AND t.TABLE_SCHEMA IN (${inList}) ORDER BY 1`,
    values: databases,
  });
  if (withoutKey.length > 0) {
    warnings.push(
      `tables without a primary key copy fine but replicate slowly (every change scans the table on each replica): ${listed(withoutKey.map((row) => String(row.name)))}`,
    );
  }

  const definers = await session.one({
    sql:
      `SELECT (SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA IN (${inList})) + ` +
      `(SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA IN (${inList})) + ` +
      `(SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN (${inList})) + ` +
      `(SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA IN (${inList})) AS \`count\``,
    values: [...databases, ...databases, ...databases, ...databases],
  });
  if (Number(definers?.count) > 0) {
    warnings.push(
      `${Number(definers?.count)} views, routines, triggers or events name a DEFINER account; they are copied with the cluster's owner as their definer`,
    );
  }

  return {
    report: { version: session.version, sizeBytes: Number(size?.bytes ?? 0), blockers, warnings },
    databases,
  };
}

async function inspectSource(context: DriverContext, source: ExternalSource, timeoutMs: number): Promise<Inspection> {
  const session = await openSource(source, timeoutMs);
  try {
    return await inspect(session, source, await context.binaries.version());
  } finally {
    await session.close();
  }
}

export async function checkSource(
  context: DriverContext,
  source: ExternalSource,
  timeoutMs = DEFAULT_SOURCE_TIMEOUT_MS,
): Promise<SourceReport> {
  return (await inspectSource(context, source, timeoutMs)).report;
}

/** Counts the bytes flowing through and reports them at most every PROGRESS_EVERY_BYTES. */
function progressCounter(onProgress: ((progress: CopyProgress) => void) | undefined) {
  let bytes = 0;
  let reported = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (onProgress !== undefined && bytes - reported >= PROGRESS_EVERY_BYTES) {
        reported = bytes;
        onProgress({ done: bytes, unit: 'bytes' });
      }
      done(null, chunk);
    },
  });
  return { counter, bytes: () => bytes };
}

export async function copyFrom(
  context: DriverContext,
  source: ExternalSource,
  node: EngineNode,
  onProgress?: (progress: CopyProgress) => void,
): Promise<CopyReport> {
  const startedAt = Date.now();
  const { report, databases } = await inspectSource(context, source, DEFAULT_SOURCE_TIMEOUT_MS);
  if (report.blockers.length > 0) {
    throw new UnsupportedOperationError(`cannot copy from ${address(source)}: ${report.blockers.join('; ')}`);
  }
  const needed = report.sizeBytes * DISK_FACTOR + DISK_MARGIN_BYTES;
  const free = await context.freeDiskBytes(node.dataDir);
  if (free < needed) {
    throw new InsufficientDiskError(
      `node ${node.name} has ${free} bytes free but copying ${address(source)} (${report.sizeBytes} bytes of data) needs about ${needed}; give the node a larger disk`,
    );
  }
  if (databases.length === 0) return { copied: 0, unit: 'bytes', durationMs: Date.now() - startedAt };

  // Loaded as the cluster's owner, never as the admin: each database is first made the owner's (as
  // dbco.create_database does), and nothing in the dump runs with more than the owner's rights.
  const owner = ownerOf(node);
  await withNode(node, async (session) => {
    for (const database of databases)
      await session.query({ sql: `CALL ${OWNER_DATABASE}.create_database(?)`, values: [database] });
  });
  const secrets = [source.password, node.credentials.adminPassword, owner.password];
  const dump = startTool({
    command: context.binaries.path('mariadb-dump'),
    args: [
      `--host=${source.host}`,
      `--port=${source.port}`,
      `--user=${source.user}`,
      '--single-transaction',
      '--routines',
      '--triggers',
      '--events',
      '--hex-blob',
      '--max-allowed-packet=1G',
      '--databases',
      // Every name after `--` is a database, whatever it looks like.
      '--',
      ...databases,
    ],
    env: { MYSQL_PWD: source.password },
    secrets,
    purpose: `dumping ${address(source)}`,
  });
  const { counter, bytes } = progressCounter(onProgress);
  const definers = definersToCurrentUser();
  dump.stdout.pipe(counter).pipe(definers);
  const load = startTool({
    command: context.binaries.path('mariadb'),
    args: [
      `--host=${node.host}`,
      `--port=${node.port}`,
      `--user=${owner.user}`,
      '--binary-mode',
      '--max-allowed-packet=1G',
      // The dump comes from a source the tenant chose: it must not make this client send local files.
      '--local-infile=0',
    ],
    env: { MYSQL_PWD: owner.password },
    stdin: definers,
    secrets,
    purpose: `loading ${address(source)} into ${node.name}`,
  });
  load.stdout.resume();
  // One side failing must not leave the other blocked on a pipe nobody drains.
  dump.done.catch(() => load.kill());
  load.done.catch(() => dump.kill());
  const [dumped, loaded] = await Promise.allSettled([dump.done, load.done]);
  if (dumped.status === 'rejected' || loaded.status === 'rejected') {
    dump.kill();
    load.kill();
    throw dumped.status === 'rejected' ? dumped.reason : (loaded as PromiseRejectedResult).reason;
  }
  onProgress?.({ done: bytes(), unit: 'bytes' });
  context.log('mysql source copied', { node: node.name, source: address(source), databases, bytes: bytes() });
  return { copied: bytes(), unit: 'bytes', durationMs: Date.now() - startedAt };
}

/**
 * mariadb-dump writes each view's, routine's, trigger's and event's DEFINER account; only an account
 * with SET USER may create objects for another account, and the owner has none. The dump's definer
 * clauses become CURRENT_USER (the owner). Only lines that start a definition are touched: row data
 * is written as INSERT lines and never starts like one.
 */
export function definersToCurrentUser(): Transform {
  const definer = /DEFINER=`(?:[^`]|``)*`@`(?:[^`]|``)*`/;
  // Definitions start with a version comment (`/*!50013 DEFINER=…`, `/*!50003 CREATE*/ /*!50017 DEFINER=…`) or CREATE.
  const definitionStart = /^(?:\/\*!\d{5} |CREATE )/;
  let pending = Buffer.alloc(0);
  const rewrite = (line: Buffer): Buffer => {
    // A cheap test on the raw bytes first: most lines are row data.
    const head = line.subarray(0, 40).toString('latin1');
    if (!definitionStart.test(head)) return line;
    return Buffer.from(line.toString('utf8').replace(definer, 'DEFINER=CURRENT_USER'), 'utf8');
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const data = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      const parts: Buffer[] = [];
      let start = 0;
      for (let newline = data.indexOf(10); newline !== -1; newline = data.indexOf(10, start)) {
        parts.push(rewrite(data.subarray(start, newline + 1)));
        start = newline + 1;
      }
      pending = Buffer.from(data.subarray(start));
      done(null, parts.length > 0 ? Buffer.concat(parts) : undefined);
    },
    flush(done) {
      done(null, pending.length > 0 ? rewrite(pending) : undefined);
    },
  });
}

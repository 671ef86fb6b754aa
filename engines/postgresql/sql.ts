/**
 * SQL access with node-postgres: short-lived clients with bounded connect and statement times,
 * identifier quoting, and turning connection failures into the shared error classes.
 */
import { Client, type ClientConfig } from 'pg';
import { BadCredentialsError, NodeNotReadyError, SourceUnreachableError } from '../errors';
import type { EngineNode } from '../types';

export interface Target {
  host: string;
  port: number;
  user: string;
  password: string;
  database?: string;
}

export function adminTarget(node: Pick<EngineNode, 'host' | 'port' | 'credentials'>, database = 'postgres'): Target {
  return {
    host: node.host,
    port: node.port,
    user: node.credentials.adminUser,
    password: node.credentials.adminPassword,
    database,
  };
}

/**
 * Opens a client; the caller must `end()` it (use `withClient` where possible). `ssl` encrypts
 * without verifying the certificate, like libpq's sslmode=require.
 */
export async function connect(
  target: Target,
  timeoutMs = 5000,
  applicationName = 'orchestrator',
  ssl = false,
): Promise<Client> {
  const config: ClientConfig = {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database ?? 'postgres',
    connectionTimeoutMillis: timeoutMs,
    application_name: applicationName,
    ssl: ssl ? { rejectUnauthorized: false } : false,
    // Only the catalog is searched: an owner's function or operator in `public` with a closer argument
    // type (say `public.pg_terminate_backend(int, int)`) would otherwise run as our superuser.
    options: '-c search_path=pg_catalog',
    // Orchestrator statements are short, except a CHECKPOINT or a promotion of a large, busy
    // server; anything hanging longer than this is a stuck server.
    query_timeout: 600_000,
  };
  const client = new Client(config);
  // An idle client whose server goes away emits 'error'; without a listener that would crash the worker.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  return client;
}

/**
 * Runs `work` on a fresh session to one of the cluster's own nodes. A node that does not answer (or
 * is starting, stopping or recovering) gives NodeNotReadyError naming its address; retrying later may help.
 */
export async function withClient<T>(
  target: Target,
  work: (client: Client) => Promise<T>,
  timeoutMs = 5000,
): Promise<T> {
  let client: Client;
  try {
    client = await connect(target, timeoutMs);
  } catch (err) {
    throw notReadyError(err, target) ?? err;
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A double-quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A single-quoted SQL literal (for the statements that take no parameters, like CREATE ROLE). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** SQLSTATE of a server error, or the errno-style code of a network error. */
export function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

const NETWORK_ERROR_CODES = [
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
];
const AUTH_FAILURE_CODES = new Set(['28P01', '28000']);
/** The server is up but not accepting sessions yet (starting, shutting down, recovering). */
export const NOT_READY_CODES = new Set(['57P03', '57P01', '57P02', '53300']);

export function isAuthFailure(err: unknown): boolean {
  return AUTH_FAILURE_CODES.has(errorCode(err) ?? '');
}

function notReadyError(err: unknown, target: Target): NodeNotReadyError | undefined {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const network = NETWORK_ERROR_CODES.includes(code ?? '') || /timeout|terminated unexpectedly/i.test(message);
  if (!network && !NOT_READY_CODES.has(code ?? '')) return undefined;
  return new NodeNotReadyError(
    `PostgreSQL at ${target.host}:${target.port} is not accepting sessions (${describeError(err)}); start the node or retry`,
    { cause: err },
  );
}

/** A one-line reason without secrets (server messages never include the password). */
export function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = errorCode(err);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * Maps a failure to connect to an external server onto the shared errors: authentication refused
 * → BadCredentialsError naming the user; no answer → SourceUnreachableError naming host:port.
 * Anything else is returned unchanged.
 */
export function classifyConnectError(err: unknown, target: Target, timeoutMs: number): unknown {
  const where = `${target.host}:${target.port}`;
  if (isAuthFailure(err)) {
    return new BadCredentialsError(
      `PostgreSQL at ${where} refused user ${JSON.stringify(target.user)}: ${describeError(err)}; check the user name and password`,
      { cause: err },
    );
  }
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (NETWORK_ERROR_CODES.includes(code ?? '') || /timeout|terminated unexpectedly/i.test(message)) {
    return new SourceUnreachableError(
      `cannot reach PostgreSQL at ${where} within ${timeoutMs} ms (${code ?? message}); check the host, port and firewall`,
      { cause: err },
    );
  }
  return err;
}

/**
 * Opening ioredis connections with a hard time bound and telling apart the ways a connection fails:
 * nobody answering, the server refusing the credentials, or anything else. ioredis itself only rejects
 * `connect()` with "Connection is closed." and reports the cause through its `error` event, and it waits
 * forever for a server that accepts TCP but never replies, hence the wrapper.
 */
import { Redis } from 'ioredis';

export interface RedisTarget {
  host: string;
  port: number;
  /** ACL user; omitted (or "default") authenticates with the password alone, as Redis < 6 requires. */
  username?: string;
  password?: string;
  db?: number;
}

export type ConnectFailureKind = 'unreachable' | 'auth' | 'other';

/** A connection that could not be opened; callers turn it into the engine error that fits their case. */
export class RedisConnectFailure extends Error {
  constructor(
    readonly kind: ConnectFailureKind,
    readonly address: string,
    message: string,
  ) {
    super(message);
    this.name = 'RedisConnectFailure';
  }
}

/** Replaces every occurrence of the secrets in `text`; server messages are quoted in errors and logs. */
export function redact(text: string, secrets: (string | undefined)[]): string {
  let result = text;
  for (const secret of secrets) if (secret) result = result.split(secret).join('***');
  return result;
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
]);

const AUTH_MESSAGES = [/^WRONGPASS/, /^NOAUTH/, /invalid password/i, /invalid username-password/i];

export function classifyConnectError(err: Error & { code?: string }): ConnectFailureKind {
  if (AUTH_MESSAGES.some((pattern) => pattern.test(err.message))) return 'auth';
  if (err.code !== undefined && UNREACHABLE_CODES.has(err.code)) return 'unreachable';
  return 'other';
}

export interface OpenOptions {
  /** Bound on connecting, authenticating and the server's ready check together. */
  timeoutMs: number;
  /** Per-command bound after connecting; none when omitted (long DUMPs and RESTOREs must not be cut short). */
  commandTimeoutMs?: number;
}

/** Opens a connection, or throws RedisConnectFailure within `timeoutMs`. */
export async function openClient(target: RedisTarget, options: OpenOptions): Promise<Redis> {
  const address = `${target.host}:${target.port}`;
  const username = target.username && target.username !== 'default' ? target.username : undefined;
  const client = new Redis({
    host: target.host,
    port: target.port,
    username,
    password: target.password || undefined,
    db: target.db ?? 0,
    lazyConnect: true,
    // RESP2 works with every server version (HELLO 3 needs Redis 6) and with ACL-restricted users.
    protocol: 2,
    connectTimeout: options.timeoutMs,
    commandTimeout: options.commandTimeoutMs,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    disableClientInfo: true,
  });
  let lastError: (Error & { code?: string }) | undefined;
  client.on('error', (err: Error) => {
    lastError = err;
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
  });
  const connecting = client.connect().then(
    () => 'connected' as const,
    (err: Error) => err,
  );
  const outcome = await Promise.race([connecting, timedOut]).finally(() => clearTimeout(timer));
  if (outcome === 'connected') return client;
  client.disconnect();
  if (outcome === 'timeout') {
    throw new RedisConnectFailure('unreachable', address, `${address} did not answer within ${options.timeoutMs} ms`);
  }
  const cause = lastError ?? outcome;
  const kind = classifyConnectError(cause);
  const detail = redact(cause.message, [target.password]);
  throw new RedisConnectFailure(kind, address, `${address}: ${detail}`);
}

/** Runs `work` with a connection and closes it afterwards, whatever happens. */
export async function withClient<T>(
  target: RedisTarget,
  options: OpenOptions,
  work: (client: Redis) => Promise<T>,
): Promise<T> {
  const client = await openClient(target, options);
  try {
    return await work(client);
  } finally {
    client.disconnect();
  }
}

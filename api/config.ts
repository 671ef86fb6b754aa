/**
 * The product's configuration: every environment variable read and checked here, once, at startup
 * (the worker's own variables are read by `activities/config.ts` and merged in). A bad value stops
 * the product with a message naming the variable and never quoting a secret.
 *
 * | variable                         | default                  | meaning                                                               |
 * | -------------------------------- | ------------------------ | --------------------------------------------------------------------- |
 * | `DATA_DIR`                       | `./.data`                | everything the product keeps: journal, nodes, backups, keys, tokens   |
 * | `HOST`                           | `127.0.0.1`              | address the HTTP API listens on                                       |
 * | `PORT`                           | `8080`                   | port of the HTTP API (`0`: any free port, logged at startup)          |
 * | `TEMPORAL_ADDRESS`               | unset: embedded server   | `host:port` of a Temporal service to use instead of the embedded one  |
 * | `TEMPORAL_NAMESPACE`             | `default`                | Temporal namespace of the product's workflows                         |
 * | `TEMPORAL_PORT`                  | `7233`                   | port of the embedded Temporal server (loopback; unused with an address) |
 * | `TEMPORAL_API_KEY`               | unset                    | API key for `TEMPORAL_ADDRESS` (Temporal Cloud); implies TLS          |
 * | `TEMPORAL_TLS`                   | `false`                  | `true`: TLS to `TEMPORAL_ADDRESS` (implied by a key or certificate)   |
 * | `TEMPORAL_TLS_CERT`, `_KEY`      | unset                    | files of a client certificate and its key (mTLS), both or neither     |
 * | `TASK_QUEUE`                     | `clusters`               | task queue of the cluster workflows and activities                    |
 * | `API_TOKENS`                     | unset: generated token   | `name:role:token,...`, role `read` or `admin`                         |
 * | `CODEC_KEY`                      | unset: generated key     | base64 32-byte key(s), comma-separated; the first encrypts payloads    |
 * | `LOG_LEVEL`                      | `info`                   | `trace` `debug` `info` `warn` `error` `fatal` `silent`                |
 * | `UI_PORT`                        | `8233`                   | port of the Web UI on HOST (embedded server only; `0`: any free port) |
 * | `CODEC_CORS_ORIGIN`              | unset                    | origin of a Temporal Web UI allowed to call `/codec/*` from a browser |
 */
import type { LevelWithSilent } from 'pino';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseCodecKeys } from '../activities/codec';
import { readActivitiesConfig, type ActivitiesConfig } from '../activities/config';
import { ConfigurationError } from '../activities/errors';
import { ApiTokenConfigError, MIN_TOKEN_LENGTH, parseApiTokens, type ApiToken } from './auth';

export { ConfigurationError };

export interface TemporalConfig {
  /** Absent: the product starts the embedded devserver on `embeddedPort`. */
  address?: string;
  namespace: string;
  embeddedPort: number;
  apiKey?: string;
  tls: boolean;
  clientCert?: { certFile: string; keyFile: string };
}

export interface ProductConfig {
  /** Absolute. */
  dataDir: string;
  host: string;
  port: number;
  temporal: TemporalConfig;
  taskQueue: string;
  /** From `API_TOKENS`; absent: a generated admin token kept in the data directory. */
  apiTokens?: ApiToken[];
  /** From `CODEC_KEY`; absent: a generated key kept in the data directory. */
  codecKeys?: Buffer[];
  logLevel: LevelWithSilent;
  activities: ActivitiesConfig;
  /** The Web UI served next to the embedded server (unused with `TEMPORAL_ADDRESS`). */
  uiPort: number;
  /** The origin (scheme://host[:port]) of a Temporal Web UI allowed to call the codec endpoint. */
  codecCorsOrigin?: string;
}

const LOG_LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
/** Temporal's own rule for namespace names. */
const NAMESPACE = /^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/;

export function readProductConfig(env: NodeJS.ProcessEnv = process.env): ProductConfig {
  const activities = readActivitiesConfig(env);
  const address = nonEmpty(env.TEMPORAL_ADDRESS);
  if (address !== undefined && !/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$/.test(address)) {
    throw new ConfigurationError(
      `TEMPORAL_ADDRESS must be host:port (e.g. temporal.internal:7233), not ${quote(address)}`,
    );
  }
  const namespace = nonEmpty(env.TEMPORAL_NAMESPACE) ?? 'default';
  if (!NAMESPACE.test(namespace)) {
    throw new ConfigurationError(`TEMPORAL_NAMESPACE ${quote(namespace)} is not a valid Temporal namespace name`);
  }
  const taskQueue = nonEmpty(env.TASK_QUEUE) ?? 'clusters';
  if (taskQueue.length > 255) throw new ConfigurationError('TASK_QUEUE must be at most 255 characters');
  const logLevel = (nonEmpty(env.LOG_LEVEL)?.toLowerCase() ?? 'info') as LevelWithSilent;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigurationError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not ${quote(env.LOG_LEVEL)}`);
  }
  const apiTokensRaw = nonEmpty(env.API_TOKENS);
  const codecKeyRaw = nonEmpty(env.CODEC_KEY);
  return {
    dataDir: activities.dataDir,
    host: nonEmpty(env.HOST) ?? '127.0.0.1',
    port: port(env, 'PORT', 8080),
    temporal: { address, namespace, embeddedPort: port(env, 'TEMPORAL_PORT', 7233), ...temporalSecurity(env, address) },
    taskQueue,
    apiTokens: apiTokensRaw === undefined ? undefined : readApiTokens(apiTokensRaw),
    codecKeys: codecKeyRaw === undefined ? undefined : parseCodecKeys(codecKeyRaw),
    logLevel,
    activities,
    uiPort: port(env, 'UI_PORT', 8233),
    codecCorsOrigin: corsOrigin(env, 'CODEC_CORS_ORIGIN'),
  };
}

/** One exact origin: a browser sends `Origin: scheme://host[:port]`, nothing more, and only that matches. */
function corsOrigin(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== raw.replace(/\/$/, '')) {
    throw new ConfigurationError(
      `${name} must be one origin such as https://temporal-ui.example.com (scheme, host and port; no path, no *), not ${quote(raw)}`,
    );
  }
  return url.origin;
}

function temporalSecurity(
  env: NodeJS.ProcessEnv,
  address: string | undefined,
): Omit<TemporalConfig, 'namespace' | 'embeddedPort' | 'address'> {
  const apiKey = nonEmpty(env.TEMPORAL_API_KEY);
  const certFile = nonEmpty(env.TEMPORAL_TLS_CERT);
  const keyFile = nonEmpty(env.TEMPORAL_TLS_KEY);
  const tlsFlag = boolean(env, 'TEMPORAL_TLS', false);
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigurationError('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: set both files or neither');
  }
  const wantsSecurity = apiKey !== undefined || certFile !== undefined || tlsFlag;
  if (wantsSecurity && address === undefined) {
    throw new ConfigurationError(
      'TEMPORAL_API_KEY, TEMPORAL_TLS and TEMPORAL_TLS_CERT/KEY apply to TEMPORAL_ADDRESS, which is unset',
    );
  }
  return {
    apiKey,
    tls: wantsSecurity,
    ...(certFile !== undefined && keyFile !== undefined
      ? { clientCert: { certFile: path.resolve(certFile), keyFile: path.resolve(keyFile) } }
      : {}),
  };
}

/** `API_TOKENS` through the API's own parser, its refusals reported like every other bad variable. */
function readApiTokens(raw: string): ApiToken[] {
  let tokens: ApiToken[];
  try {
    tokens = parseApiTokens(raw).tokens;
  } catch (err) {
    if (err instanceof ApiTokenConfigError) throw new ConfigurationError(err.message);
    throw err;
  }
  if (tokens.length === 0) {
    throw new ConfigurationError(
      'API_TOKENS has no entry; give name:role:token entries, or unset it for a generated token',
    );
  }
  return tokens;
}

export const API_TOKEN_FILE = 'api-token';
/** The name the generated token acts under in audit entries. */
export const GENERATED_TOKEN_NAME = 'admin';

export interface ResolvedTokens {
  tokens: ApiToken[];
  /** Set when the tokens come from the data directory rather than `API_TOKENS`. */
  tokenFile?: string;
  /** True on the run that created the token file. */
  generated: boolean;
}

/**
 * `API_TOKENS` when set; otherwise the admin token stored in `<dataDir>/api-token`, created (0600)
 * on the first run.
 */
export async function resolveApiTokens(config: Pick<ProductConfig, 'apiTokens' | 'dataDir'>): Promise<ResolvedTokens> {
  if (config.apiTokens) return { tokens: config.apiTokens, generated: false };
  const tokenFile = path.join(config.dataDir, API_TOKEN_FILE);
  let generated = false;
  let token = await readTokenFile(tokenFile);
  if (token === undefined) {
    const candidate = randomBytes(32).toString('base64url');
    await fs.mkdir(config.dataDir, { recursive: true });
    try {
      await fs.writeFile(tokenFile, `${candidate}\n`, { mode: 0o600, flag: 'wx' });
      token = candidate;
      generated = true;
    } catch (err) {
      // Another process created it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      token = await readTokenFile(tokenFile);
    }
  }
  if (token === undefined || token.length < MIN_TOKEN_LENGTH) {
    throw new ConfigurationError(
      `${tokenFile} does not hold a token of at least ${MIN_TOKEN_LENGTH} characters; delete it to generate a new one`,
    );
  }
  return { tokens: [{ name: GENERATED_TOKEN_NAME, role: 'admin', token }], tokenFile, generated };
}

async function readTokenFile(file: string): Promise<string | undefined> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function quote(value: string | undefined): string {
  return JSON.stringify(value ?? '');
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > 65535) {
    throw new ConfigurationError(`${name} must be a port number from 0 to 65535, not ${quote(raw)}`);
  }
  return value;
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = nonEmpty(env[name])?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigurationError(`${name} must be true or false, not ${quote(raw)}`);
}

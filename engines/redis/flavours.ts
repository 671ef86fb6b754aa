/**
 * The Redis-compatible servers this driver runs: Redis itself and its forks KeyDB and Valkey. They share
 * the protocol, the replication model and the configuration file format; they differ in binary name,
 * in how they spell their version, and in whether they can run multi-master (only KeyDB).
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { childEnvironment } from '../child-environment';
import { EngineUnavailableError } from '../errors';

const execFileAsync = promisify(execFile);

export type RedisFlavour = 'redis' | 'keydb' | 'valkey';

export interface FlavourInfo {
  flavour: RedisFlavour;
  /** Name of the server binary on the PATH. */
  binaryName: string;
  /** Environment variable that may name the binary explicitly. */
  binaryEnv: string;
  /** KeyDB's active-replica mode lets two primaries replicate from each other. */
  multiMaster: boolean;
  /** Where to get the binary, for the "not installed" message. */
  installHint: string;
}

export const FLAVOURS: Record<RedisFlavour, FlavourInfo> = {
  redis: {
    flavour: 'redis',
    binaryName: 'redis-server',
    binaryEnv: 'REDIS_SERVER_BIN',
    multiMaster: false,
    installHint: 'install it (Debian: apt-get install redis-server)',
  },
  keydb: {
    flavour: 'keydb',
    binaryName: 'keydb-server',
    binaryEnv: 'KEYDB_SERVER_BIN',
    multiMaster: true,
    installHint: 'KeyDB is not packaged by Debian 12; install it from https://docs.keydb.dev',
  },
  valkey: {
    flavour: 'valkey',
    binaryName: 'valkey-server',
    binaryEnv: 'VALKEY_SERVER_BIN',
    multiMaster: false,
    installHint: 'Valkey is not packaged by Debian 12; install it from https://valkey.io',
  },
};

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/**
 * The server binary to run: the explicit one if given, else the flavour's environment variable, else the
 * first match on the PATH. Throws EngineUnavailableError saying how to provide it.
 */
export async function resolveBinary(
  info: FlavourInfo,
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const named = explicit ?? env[info.binaryEnv];
  if (named) {
    if (await isExecutable(named)) return named;
    throw new EngineUnavailableError(
      `${info.flavour}: ${named} (from ${explicit ? 'the driver options' : info.binaryEnv}) is not an executable file; ` +
        `point it at a ${info.binaryName} binary`,
    );
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, info.binaryName);
    if (await isExecutable(candidate)) return candidate;
  }
  throw new EngineUnavailableError(
    `${info.flavour}: ${info.binaryName} was not found on the PATH; ${info.installHint}, ` +
      `or set ${info.binaryEnv} to the binary's full path`,
  );
}

/** Parses `redis-server --version` output ("Redis server v=7.0.15 sha=…", "KeyDB server v=6.3.4 …"). */
export function parseServerVersion(output: string): string | undefined {
  return /\bv=(\d+\.\d+(?:\.\d+)?)/.exec(output)?.[1];
}

export async function readServerVersion(binary: string): Promise<string> {
  let output: string;
  try {
    output = (await execFileAsync(binary, ['--version'], { timeout: 10_000, env: childEnvironment() })).stdout;
  } catch (err) {
    throw new EngineUnavailableError(`${binary} --version failed: ${(err as Error).message}`, { cause: err });
  }
  const version = parseServerVersion(output);
  if (!version) throw new EngineUnavailableError(`cannot read a version from "${output.trim()}" (${binary} --version)`);
  return version;
}

/**
 * True when the installed version satisfies the requested one: the requested string is a prefix of
 * dotted components ("7" and "7.0" both match 7.0.15; "7.2" does not).
 */
export function versionMatches(requested: string, installed: string): boolean {
  const wanted = requested.trim().split('.');
  const have = installed.split('.');
  return wanted.every((part, index) => part === have[index]);
}

export const VERSION_PATTERN = /^\d+(\.\d+){0,2}$/;

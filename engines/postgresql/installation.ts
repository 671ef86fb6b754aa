/**
 * Finds the PostgreSQL installations on this machine (Debian lays them out as
 * /usr/lib/postgresql/<major>/bin with shared files in /usr/share/postgresql/<major>) and the
 * extensions each one can load.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { EngineUnavailableError } from '../errors';

export interface PostgresInstallation {
  major: number;
  bindir: string;
  /** Directory holding `extension/<name>.control`. */
  sharedir: string;
}

export interface InstallationRoots {
  /** Directory holding one folder per major version, each with a `bin/`. */
  libRoot: string;
  /** Directory holding one folder per major version with its shared files. */
  shareRoot: string;
}

export const DEBIAN_ROOTS: InstallationRoots = { libRoot: '/usr/lib/postgresql', shareRoot: '/usr/share/postgresql' };

/** Every installation with a server binary, newest major first. */
export function findInstallations(roots: InstallationRoots = DEBIAN_ROOTS): PostgresInstallation[] {
  const found = new Map<number, PostgresInstallation>();
  const majors = existsSync(roots.libRoot) ? readdirSync(roots.libRoot).filter((name) => /^\d+$/.test(name)) : [];
  for (const name of majors) {
    const bindir = path.join(roots.libRoot, name, 'bin');
    if (existsSync(path.join(bindir, 'postgres'))) {
      found.set(Number(name), { major: Number(name), bindir, sharedir: path.join(roots.shareRoot, name) });
    }
  }
  if (roots === DEBIAN_ROOTS) {
    const fromPath = installationFromPgConfig();
    if (fromPath && !found.has(fromPath.major)) found.set(fromPath.major, fromPath);
  }
  return [...found.values()].sort((a, b) => b.major - a.major);
}

/** A non-Debian layout: whatever `pg_config` on the PATH describes. */
function installationFromPgConfig(): PostgresInstallation | undefined {
  try {
    const read = (flag: string) => execFileSync('pg_config', [flag], { encoding: 'utf8', timeout: 5000 }).trim();
    const major = Number(/PostgreSQL (\d+)/.exec(read('--version'))?.[1]);
    const bindir = read('--bindir');
    if (!Number.isInteger(major) || !existsSync(path.join(bindir, 'postgres'))) return undefined;
    return { major, bindir, sharedir: read('--sharedir') };
  } catch {
    return undefined;
  }
}

/** The major a version string asks for: "15", "15.4" → 15; "" or "latest" → undefined (newest). */
export function requestedMajor(version: string): number | undefined {
  const trimmed = version.trim();
  if (trimmed === '' || trimmed === 'latest') return undefined;
  const match = /^(\d+)(\.\d+)*$/.exec(trimmed);
  if (!match) {
    throw new EngineUnavailableError(
      `PostgreSQL version ${JSON.stringify(version)} is not a version number; use e.g. "15"`,
    );
  }
  return Number(match[1]);
}

/** The installation serving `version`; throws EngineUnavailableError naming what is installed. */
export function installationFor(version: string, installations: PostgresInstallation[]): PostgresInstallation {
  const major = requestedMajor(version);
  const match = major === undefined ? installations[0] : installations.find((i) => i.major === major);
  if (match) return match;
  const installed = installations.map((i) => i.major).join(', ') || 'none';
  const wanted = major === undefined ? 'PostgreSQL' : `PostgreSQL ${major}`;
  throw new EngineUnavailableError(
    `${wanted} is not installed on this machine (installed majors: ${installed}); ` +
      `install the postgresql-${major ?? '<major>'} package or choose an installed version`,
  );
}

export function extensionInstalled(installation: PostgresInstallation, extension: string): boolean {
  return existsSync(extensionControlFile(installation, extension));
}

export function extensionControlFile(installation: PostgresInstallation, extension: string): string {
  return path.join(installation.sharedir, 'extension', `${extension}.control`);
}

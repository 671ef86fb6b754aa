import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineUnavailableError } from '../errors';
import {
  extensionInstalled,
  findInstallations,
  installationFor,
  requestedMajor,
  type InstallationRoots,
} from './installation';

let root: string;
let roots: InstallationRoots;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pg-install-'));
  roots = { libRoot: path.join(root, 'lib'), shareRoot: path.join(root, 'share') };
  for (const major of ['14', '16']) {
    await mkdir(path.join(roots.libRoot, major, 'bin'), { recursive: true });
    await writeFile(path.join(roots.libRoot, major, 'bin', 'postgres'), '');
  }
  // A major with client tools only is not a server installation.
  await mkdir(path.join(roots.libRoot, '13', 'bin'), { recursive: true });
  await mkdir(path.join(roots.shareRoot, '16', 'extension'), { recursive: true });
  await writeFile(path.join(roots.shareRoot, '16', 'extension', 'columnar.control'), '');
});

afterAll(() => rm(root, { recursive: true, force: true }));

describe('PostgreSQL installations', () => {
  it('lists server installations newest first', () => {
    expect(findInstallations(roots).map((i) => i.major)).toEqual([16, 14]);
  });

  it('picks the installation for a version, or the newest for an empty one', () => {
    const installations = findInstallations(roots);
    expect(installationFor('14.9', installations).major).toBe(14);
    expect(installationFor('', installations).major).toBe(16);
  });

  it('names the installed majors when a version is missing', () => {
    const err = (() => {
      try {
        installationFor('15', findInstallations(roots));
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(EngineUnavailableError);
    expect(err?.message).toMatch(/PostgreSQL 15 is not installed.*16, 14/);
  });

  it('rejects version strings that are not numbers', () => {
    expect(() => requestedMajor('fifteen')).toThrow(EngineUnavailableError);
    expect(requestedMajor('latest')).toBeUndefined();
  });

  it('finds extensions by their control file', () => {
    const [newest, older] = findInstallations(roots);
    expect(extensionInstalled(newest!, 'columnar')).toBe(true);
    expect(extensionInstalled(older!, 'columnar')).toBe(false);
  });
});

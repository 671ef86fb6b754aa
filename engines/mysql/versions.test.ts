import { describe, expect, it } from 'vitest';
import { versionMatches } from './binaries';
import { versionBlocker } from './source';

describe('requested versions', () => {
  it('match the installed server by leading version parts', () => {
    expect(versionMatches('10.11', '10.11.19-MariaDB-0+deb12u1')).toBe(true);
    expect(versionMatches('10.11.19', '10.11.19-MariaDB')).toBe(true);
    expect(versionMatches('mariadb-10.11', '10.11.19-MariaDB')).toBe(true);
    expect(versionMatches('10.1', '10.11.19-MariaDB')).toBe(false);
    expect(versionMatches('8.0', '10.11.19-MariaDB')).toBe(false);
    expect(versionMatches('latest', '10.11.19-MariaDB')).toBe(false);
  });
});

describe('source versions', () => {
  it('accepts MariaDB 10.3 to 11.x and MySQL 5.7 to 8.4', () => {
    for (const version of [
      '10.3.39-MariaDB',
      '10.11.19-MariaDB-0+deb12u1',
      '11.4.2-MariaDB',
      '5.7.44',
      '8.0.36',
      '8.4.0',
    ]) {
      expect(versionBlocker(version)).toBeUndefined();
    }
  });

  it('blocks older and newer servers with a sentence saying what to do', () => {
    expect(versionBlocker('5.5.62-MariaDB')).toMatch(/MariaDB 5\.5.*upgrade the source/);
    expect(versionBlocker('10.2.44-MariaDB')).toMatch(/MariaDB 10\.2/);
    expect(versionBlocker('5.6.51')).toMatch(/MySQL 5\.6/);
    expect(versionBlocker('9.0.1')).toMatch(/MySQL 9\.0/);
  });
});

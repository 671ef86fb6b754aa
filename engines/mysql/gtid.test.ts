import { describe, expect, it } from 'vitest';
import {
  mariadbDivergence,
  mariadbMissing,
  mergeMariadbPositions,
  mysqlGtidSetContains,
  parseMariadbPosition,
  parseMysqlGtidSet,
} from './gtid';

describe('MariaDB GTID positions', () => {
  it('parses, keeps the highest sequence per domain and formats sorted by domain', () => {
    const parsed = parseMariadbPosition('2-3-7, 0-1-100,0-2-99');
    expect([...parsed.values()]).toEqual([
      { domain: 2, server: 3, seq: 7n },
      { domain: 0, server: 1, seq: 100n },
    ]);
    expect(mergeMariadbPositions('2-3-7,0-1-100', '')).toBe('0-1-100,2-3-7');
  });

  it('rejects what is not a GTID', () => {
    expect(() => parseMariadbPosition('0-1')).toThrow(/not a MariaDB GTID/);
    expect(() => parseMariadbPosition('uuid:1-5')).toThrow(/not a MariaDB GTID/);
  });

  it('merges per domain by sequence number', () => {
    expect(mergeMariadbPositions('0-1-10,1-1-5', '0-2-12', '2-9-1')).toBe('0-2-12,1-1-5,2-9-1');
  });

  it('lists what a node still misses', () => {
    expect(mariadbMissing('0-1-10,1-2-5', '0-1-10')).toBe('');
    expect(mariadbMissing('0-1-10', '0-2-11,1-2-5')).toBe('0-2-11,1-2-5');
    expect(mariadbMissing('0-2-20', '0-1-11')).toBe('');
    expect(mariadbMissing('', '')).toBe('');
  });

  it('detects a node that has transactions its new primary lacks', () => {
    expect(mariadbDivergence('0-1-10', '0-1-10')).toBeUndefined();
    expect(mariadbDivergence('0-1-10', '0-2-15')).toBeUndefined();
    expect(mariadbDivergence('', '0-2-15')).toBeUndefined();
    expect(mariadbDivergence('0-1-11', '0-1-10')).toMatch(/0-1-11.*0-1-10/);
    expect(mariadbDivergence('0-1-11', '0-2-11')).toMatch(/0-1-11 where the primary has 0-2-11/);
    expect(mariadbDivergence('0-1-5,3-1-1', '0-1-5')).toMatch(/only has nothing in domain 3/);
  });
});

describe('MySQL GTID sets', () => {
  const a = '3e11fa47-71ca-11e1-9e33-c80aa9429562';
  const b = '4f22fa47-71ca-11e1-9e33-c80aa9429562';

  it('parses intervals, merges adjacent ones and keeps tags apart', () => {
    expect(parseMysqlGtidSet(`${a}:1-5:6-9:12,\n${b}:3`)).toEqual(
      new Map([
        [
          a,
          [
            [1n, 9n],
            [12n, 12n],
          ],
        ],
        [b, [[3n, 3n]]],
      ]),
    );
    expect(parseMysqlGtidSet(`${a}:1-3:blue:1-2`)).toEqual(
      new Map([
        [a, [[1n, 3n]]],
        [`${a}:blue`, [[1n, 2n]]],
      ]),
    );
    expect(() => parseMysqlGtidSet(`${a}:1-x`)).toThrow(/not a MySQL GTID set/);
  });

  it('decides containment', () => {
    expect(mysqlGtidSetContains(`${a}:1-100,${b}:1-5`, `${a}:7-9,${b}:5`)).toBe(true);
    expect(mysqlGtidSetContains(`${a}:1-100`, `${a}:1-101`)).toBe(false);
    expect(mysqlGtidSetContains(`${a}:1-5:7-9`, `${a}:5-7`)).toBe(false);
    expect(mysqlGtidSetContains(`${a}:1-5`, `${b}:1`)).toBe(false);
    expect(mysqlGtidSetContains(`${a}:1-5`, '')).toBe(true);
    expect(mysqlGtidSetContains(`${a.toUpperCase()}:1-5`, `${a}:2`)).toBe(true);
  });
});

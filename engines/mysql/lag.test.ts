import { describe, expect, it } from 'vitest';
import { bytesBetween, gtidEventTime } from './lag';

const files = [
  { name: 'binlog.000001', size: 1000 },
  { name: 'binlog.000002', size: 500 },
  { name: 'binlog.000003', size: 300 },
];

describe('lag in bytes', () => {
  it('counts within one file and across files', () => {
    expect(bytesBetween({ file: 'binlog.000003', pos: 100 }, { file: 'binlog.000003', pos: 300 }, files)).toBe(200);
    expect(bytesBetween({ file: 'binlog.000001', pos: 900 }, { file: 'binlog.000003', pos: 300 }, files)).toBe(
      100 + 500 + 300,
    );
    expect(bytesBetween({ file: 'binlog.000003', pos: 300 }, { file: 'binlog.000003', pos: 300 }, files)).toBe(0);
  });

  it('is unknown when the replica has no position or its file is gone from the primary', () => {
    expect(bytesBetween({ file: '', pos: 0 }, { file: 'binlog.000003', pos: 300 }, files)).toBeNull();
    expect(bytesBetween({ file: 'binlog.000000', pos: 4 }, { file: 'binlog.000003', pos: 300 }, files)).toBeNull();
  });
});

describe('commit time of a binlog transaction', () => {
  it('reads the time of GTID events printed by mariadb-binlog in UTC', () => {
    expect(gtidEventTime('#261121 23:32:51 server id 1  end_log_pos 673 CRC32 0x30f88f5c \tGTID 0-1-3 trans')).toBe(
      Date.UTC(2026, 10, 21, 23, 32, 51) / 1000,
    );
    expect(gtidEventTime('#240102  3:04:05 server id 7  end_log_pos 42 \tGTID 0-7-1 ddl')).toBe(
      Date.UTC(2024, 0, 2, 3, 4, 5) / 1000,
    );
  });

  it('ignores other events', () => {
    expect(
      gtidEventTime('#261121 23:32:49 server id 1  end_log_pos 285 CRC32 0x21a079f0 \tGtid list []'),
    ).toBeUndefined();
    expect(gtidEventTime('# at 673')).toBeUndefined();
    expect(
      gtidEventTime('#261121 23:32:51 server id 1  end_log_pos 823 CRC32 0x5c1e7eea \tWrite_rows: table id 18'),
    ).toBeUndefined();
  });
});

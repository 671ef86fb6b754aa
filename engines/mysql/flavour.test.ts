import { describe, expect, it } from 'vitest';
import { flavourOf, mariadb } from './flavour';

const source = { host: '10.0.0.5', port: 3307, user: 'repl', password: 's3cret' };

describe('flavour detection', () => {
  it('tells MariaDB from MySQL by VERSION()', () => {
    expect(flavourOf('10.11.19-MariaDB-0+deb12u1-log').name).toBe('mariadb');
    expect(flavourOf('5.5.5-10.6.16-MariaDB').name).toBe('mariadb');
    expect(flavourOf('8.0.36').name).toBe('mysql');
    expect(flavourOf('8.0.36').binlogStatus).toBe('SHOW MASTER STATUS');
    expect(flavourOf('8.4.0').binlogStatus).toBe('SHOW BINARY LOG STATUS');
    expect(flavourOf('9.1.0').binlogStatus).toBe('SHOW BINARY LOG STATUS');
  });
});

describe('MySQL 8 statements', () => {
  const mysql8 = flavourOf('8.0.36');
  const mysql84 = flavourOf('8.4.2-commercial');

  it('points a replica at its source with GTID auto-positioning', () => {
    expect(mysql8.changeSource(source, { binlog: 'x', applied: '' }, 'replica')).toEqual([
      {
        sql:
          'CHANGE REPLICATION SOURCE TO SOURCE_HOST = ?, SOURCE_PORT = ?, SOURCE_USER = ?, SOURCE_PASSWORD = ?, ' +
          'SOURCE_AUTO_POSITION = 1, SOURCE_CONNECT_RETRY = 1, SOURCE_HEARTBEAT_PERIOD = 1, GET_SOURCE_PUBLIC_KEY = 1',
        values: ['10.0.0.5', 3307, 'repl', 's3cret'],
      },
    ]);
    expect(mysql8.startReplica()).toEqual([{ sql: 'START REPLICA' }]);
    expect(mysql8.stopReceiving()).toEqual([{ sql: 'STOP REPLICA IO_THREAD' }]);
    expect(mysql8.resetReplica()).toEqual([{ sql: 'STOP REPLICA' }, { sql: 'RESET REPLICA ALL' }]);
    expect(mysql8.replicaStatus).toBe('SHOW REPLICA STATUS');
  });

  it('fences with super_read_only and reads positions from gtid_executed', () => {
    expect(mysql8.setReadOnly(true)).toEqual([{ sql: 'SET GLOBAL super_read_only = ON' }]);
    expect(mysql8.setReadOnly(false)).toEqual([
      { sql: 'SET GLOBAL super_read_only = OFF' },
      { sql: 'SET GLOBAL read_only = OFF' },
    ]);
    expect(mysql8.positions).toContain('@@GLOBAL.gtid_executed');
    expect(mysql8.positionOf({ binlog: 'uuid-a:1-5,\nuuid-b:1-2', applied: '' })).toBe('uuid-a:1-5,uuid-b:1-2');
  });

  it('waits with WAIT_FOR_EXECUTED_GTID_SET and SOURCE_POS_WAIT', () => {
    expect(mysql8.waitForPosition('uuid-a:1-5', 1.5)).toEqual({
      sql: 'SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) = 0 AS `reached`',
      values: ['uuid-a:1-5', 1.5],
    });
    expect(mysql8.waitForRelayLog('binlog.000002', 400, 60).sql).toContain('SOURCE_POS_WAIT(?, ?, ?)');
  });

  it('seeds a restored node through gtid_purged', () => {
    expect(mysql8.seedPosition('uuid-a:1-5')).toEqual([
      { sql: 'RESET MASTER' },
      { sql: 'SET GLOBAL gtid_purged = ?', values: ['uuid-a:1-5'] },
    ]);
    expect(mysql84.seedPosition('uuid-a:1-5')[0]).toEqual({ sql: 'RESET BINARY LOGS AND GTIDS' });
  });

  it('reads SHOW REPLICA STATUS', () => {
    expect(
      mysql8.parseReplicaStatus({
        Source_Host: '10.0.0.5',
        Source_Port: 3307,
        Replica_IO_Running: 'Connecting',
        Replica_SQL_Running: 'Yes',
        Last_IO_Errno: 2003,
        Last_IO_Error: "Can't connect",
        Last_SQL_Errno: 0,
        Last_SQL_Error: '',
        Seconds_Behind_Source: null,
        Relay_Source_Log_File: 'binlog.000003',
        Exec_Source_Log_Pos: 157,
        Source_Log_File: 'binlog.000003',
        Read_Source_Log_Pos: 900,
        Auto_Position: 1,
      }),
    ).toEqual({
      sourceHost: '10.0.0.5',
      sourcePort: 3307,
      ioState: 'connecting',
      sqlRunning: true,
      lastIoError: "2003: Can't connect",
      lastSqlError: undefined,
      secondsBehind: null,
      execFile: 'binlog.000003',
      execPos: 157,
      readFile: 'binlog.000003',
      readPos: 900,
      gtidMode: 'auto',
    });
  });

  it('has no GTID domains to set for multi-master', () => {
    expect(mysql8.setWriteDomain(2)).toEqual([]);
  });

  it('compares positions as GTID sets', () => {
    expect(mysql8.reached('uuid-a:1-10', 'uuid-a:1-9')).toBe(true);
    expect(mysql8.reached('uuid-a:1-10', 'uuid-a:11')).toBe(false);
  });
});

describe('MariaDB statements', () => {
  it('starts a replica after everything the node has, a peer by its current position', () => {
    const [setPosition, change] = mariadb.changeSource(
      source,
      { binlog: '0-1-10', applied: '0-2-12,1-3-4' },
      'replica',
    );
    expect(setPosition).toEqual({ sql: 'SET GLOBAL gtid_slave_pos = ?', values: ['0-2-12,1-3-4'] });
    expect(change.sql).toContain('MASTER_USE_GTID = slave_pos');
    expect(change.values).toEqual(['10.0.0.5', 3307, 'repl', 's3cret']);
    expect(mariadb.changeSource(source, { binlog: '', applied: '' }, 'peer')[1].sql).toContain(
      'MASTER_USE_GTID = current_pos',
    );
  });

  it("puts a multi-master node's own writes in its GTID domain", () => {
    expect(mariadb.setWriteDomain(2)).toEqual([{ sql: 'SET GLOBAL gtid_domain_id = ?', values: [2] }]);
  });

  it('reads SHOW SLAVE STATUS', () => {
    const status = mariadb.parseReplicaStatus({
      Master_Host: '127.0.0.1',
      Master_Port: 4000,
      Slave_IO_Running: 'Yes',
      Slave_SQL_Running: 'No',
      Last_IO_Errno: 0,
      Last_SQL_Errno: 1062,
      Last_SQL_Error: 'Duplicate entry',
      Seconds_Behind_Master: null,
      Relay_Master_Log_File: 'binlog.000001',
      Exec_Master_Log_Pos: 300,
      Master_Log_File: 'binlog.000002',
      Read_Master_Log_Pos: 500,
      Using_Gtid: 'Slave_Pos',
    });
    expect(status).toMatchObject({
      ioState: 'running',
      sqlRunning: false,
      lastSqlError: '1062: Duplicate entry',
      gtidMode: 'slave_pos',
    });
  });

  it('seeds a restored node with the backup position as binlog state and applied position', () => {
    expect(mariadb.seedPosition('0-1-42')).toEqual([
      { sql: 'RESET MASTER' },
      { sql: 'SET GLOBAL gtid_binlog_state = ?', values: ['0-1-42'] },
      { sql: 'SET GLOBAL gtid_slave_pos = ?', values: ['0-1-42'] },
    ]);
    expect(mariadb.positionOf({ binlog: '0-1-42', applied: '0-1-40,1-2-3' })).toBe('0-1-42,1-2-3');
  });
});

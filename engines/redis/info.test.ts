import { describe, expect, it } from 'vitest';
import {
  aofRewritePending,
  keyCount,
  otherNonEmptyDatabases,
  parseInfo,
  replicationFacts,
  serverVersion,
} from './info';

const PRIMARY = `# Server\r
redis_version:7.0.15\r
\r
# Replication\r
role:master\r
connected_slaves:2\r
min_slaves_good_slaves:2\r
slave0:ip=127.0.0.1,port=41002,state=online,offset=5123,lag=0\r
slave1:ip=127.0.0.1,port=41003,state=wait_bgsave,offset=0,lag=0\r
master_replid:1a2b\r
master_repl_offset:5123\r
\r
# Persistence\r
aof_rewrite_in_progress:0\r
aof_rewrite_scheduled:1\r
\r
# Keyspace\r
db0:keys=3,expires=1,avg_ttl=0\r
db9:keys=12,expires=0,avg_ttl=0\r
`;

const REPLICA = `# Replication
role:slave
master_host:127.0.0.1
master_port:41001
master_link_status:down
master_sync_in_progress:0
slave_read_repl_offset:900
slave_repl_offset:880
master_link_down_since_seconds:42
slave_read_only:1
master_repl_offset:880
`;

describe('INFO parsing', () => {
  it('reads a primary: offset, online replicas, version, keyspace, AOF rewrite', () => {
    const info = parseInfo(PRIMARY);
    expect(replicationFacts(info)).toMatchObject({ role: 'master', offset: 5123, onlineReplicas: 1, linkUp: false });
    expect(serverVersion(info)).toBe('7.0.15');
    expect(keyCount(info, 9)).toBe(12);
    expect(keyCount(info, 5)).toBe(0);
    expect(otherNonEmptyDatabases(info, 9)).toEqual([0]);
    expect(aofRewritePending(info)).toBe(true);
  });

  it('reads a replica: the applied offset (not the received one), its primary and its link', () => {
    expect(replicationFacts(parseInfo(REPLICA))).toMatchObject({
      role: 'slave',
      offset: 880,
      primaryHost: '127.0.0.1',
      primaryPort: 41001,
      linkUp: false,
      linkDownSeconds: 42,
    });
  });

  it('prefers Valkey’s own version to its Redis compatibility version', () => {
    expect(serverVersion(parseInfo('redis_version:7.2.4\nvalkey_version:8.0.1\n'))).toBe('8.0.1');
  });
});

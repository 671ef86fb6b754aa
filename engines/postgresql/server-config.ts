/**
 * Renders the configuration the driver owns: postgresql.conf and pg_hba.conf under
 * `<dataDir>/conf`. Everything is derived from the node and its state, so rendering again is
 * always safe (idempotent mutations come for free).
 */
import type { EngineNode } from '../types';
import type { NodeLayout, NodeState } from './layout';

export interface ServerSettings {
  /** Networks (CIDR) allowed to connect; the node firewall in front of the engine does the allowlist. */
  clientNetworks: string[];
  /** WAL kept for replicas that fall behind without a slot (e.g. after a rewind), in MB. */
  walKeepMb: number;
  /** Most WAL a replication slot may hold back before it is given up (a dead replica must not fill the disk), in MB. */
  maxSlotWalKeepMb: number;
  /** Libraries an extension flavour needs preloaded (timescaledb). */
  sharedPreloadLibraries: string[];
}

export const DEFAULT_SERVER_SETTINGS: ServerSettings = {
  clientNetworks: ['127.0.0.0/8', '::1/128'],
  walKeepMb: 128,
  maxSlotWalKeepMb: 2048,
  sharedPreloadLibraries: [],
};

/** A postgresql.conf string literal. */
export function confString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** A libpq connection-string value. */
export function conninfoValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A pg_hba.conf user or database token (quoted so it is never read as a keyword or group). */
function hbaToken(value: string): string {
  if (/["\s,]/.test(value)) throw new Error(`user name ${JSON.stringify(value)} cannot be used in pg_hba.conf`);
  return `"${value}"`;
}

export function renderPostgresqlConf(
  node: EngineNode,
  layout: NodeLayout,
  state: NodeState,
  settings: ServerSettings,
): string {
  const lines: Record<string, string | number> = {
    data_directory: confString(layout.pgdata),
    hba_file: confString(layout.hbaFile),
    ident_file: confString(layout.identFile),
    listen_addresses: confString(node.host),
    port: node.port,
    // Only TCP: socket paths under deep data directories overflow the 107-byte limit, and the
    // driver and tools always connect over TCP.
    unix_socket_directories: confString(''),
    password_encryption: confString('scram-sha-256'),
    wal_level: 'replica',
    // pg_rewind needs hint-bit changes in the WAL to rejoin a diverged former primary.
    wal_log_hints: 'on',
    max_wal_senders: 16,
    max_replication_slots: 16,
    wal_keep_size: confString(`${settings.walKeepMb}MB`),
    max_slot_wal_keep_size: confString(`${settings.maxSlotWalKeepMb}MB`),
    hot_standby: 'on',
    hot_standby_feedback: 'on',
    // Lets a standby that fell behind ask its primary for the new timeline after a promotion.
    recovery_target_timeline: confString('latest'),
    logging_collector: 'off',
    log_line_prefix: confString('%m [%p] %q%u@%d '),
    log_min_messages: 'warning',
    // Statements may carry secrets (e.g. a role password); never write them to the log.
    log_min_error_statement: 'panic',
    shared_preload_libraries: confString(settings.sharedPreloadLibraries.join(',')),
  };
  if (state.upstream) {
    lines.primary_conninfo = confString(
      [
        `host=${conninfoValue(state.upstream.host)}`,
        `port=${state.upstream.port}`,
        `user=${conninfoValue(node.credentials.replicationUser)}`,
        `passfile=${conninfoValue(layout.replicationPassFile)}`,
        `application_name=${conninfoValue(node.name)}`,
        'connect_timeout=5',
      ].join(' '),
    );
    lines.primary_slot_name = confString(state.upstream.slot);
  }
  // Custom setting, readable over SQL by replicas deciding whether they can rewind (see NodeState).
  if (state.lineage) lines['orchestrator.lineage'] = confString(state.lineage);
  // A fenced node opens every new transaction read-only; pg_hba.conf already keeps clients out.
  if (state.fenced) lines.default_transaction_read_only = 'on';
  const body = Object.entries(lines).map(([key, value]) => `${key} = ${value}`);
  return `# Rendered by the orchestrator's PostgreSQL driver for node ${node.name}; edits are overwritten.\n${body.join('\n')}\n`;
}

export function renderHbaConf(node: EngineNode, state: NodeState, settings: ServerSettings): string {
  const { adminUser, replicationUser } = node.credentials;
  const lines = ['# Rendered by the orchestrator; edits are overwritten.'];
  for (const network of settings.clientNetworks) {
    lines.push(`host replication ${hbaToken(replicationUser)} ${network} scram-sha-256`);
    // pg_basebackup for backups runs as the admin user.
    lines.push(`host replication ${hbaToken(adminUser)} ${network} scram-sha-256`);
    lines.push(`host all ${hbaToken(adminUser)} ${network} scram-sha-256`);
  }
  if (!state.fenced) {
    for (const network of settings.clientNetworks) lines.push(`host all all ${network} scram-sha-256`);
  }
  return `${lines.join('\n')}\n`;
}

/** The libpq password file line for the replication user against its primary. */
export function renderPassFile(host: string, port: number, user: string, password: string): string {
  const escape = (value: string) => value.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
  return `${escape(host)}:${port}:*:${escape(user)}:${escape(password)}\n`;
}

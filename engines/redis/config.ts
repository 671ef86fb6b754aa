/**
 * The files that configure one node: the server configuration and the ACL file. Both are rendered from
 * the node's description and its recorded state, so the state the driver sets at runtime (role, primary
 * followed, fence) survives a restart of the server process.
 *
 * Persistence choice: AOF with `appendfsync everysec` and an RDB preamble. A crash loses at most about a
 * second of acknowledged writes (RDB snapshots alone would lose everything since the last snapshot), and
 * restarts load the compact RDB preamble instead of replaying every command. Periodic RDB snapshots are
 * off (`save ""`): the AOF already provides durability, backups are taken on demand through the
 * replication stream, and every snapshot forks the server and can double its memory for a while.
 */
import { createHash } from 'node:crypto';
import { ownerIn, type OwnerCredentials } from '../owner';
import type { EngineCredentials, EngineNode } from '../types';
import type { RedisFlavour } from './flavours';

/** Reaching this many in-sync replicas is impossible, so a primary configured with it refuses writes. */
export const FENCE_MIN_REPLICAS = 1_000_000;

/** Seconds a replica may go without acknowledging before it stops counting towards min-replicas-to-write. */
export const MIN_REPLICAS_MAX_LAG = 10;

export interface ServerAddress {
  host: string;
  port: number;
}

/** What the driver has made of a node; kept beside the configuration and rendered into it. */
export interface NodeState {
  role: 'primary' | 'replica';
  /** The primary this node follows (replicas only). */
  primary?: ServerAddress;
  /** A fenced primary refuses writes from every client. */
  fenced: boolean;
  /** False only while a restore rebuilds the append-only file from a restored RDB snapshot. */
  appendonly: boolean;
  /** KeyDB multi-master: the other primaries this node replicates from while taking writes itself. */
  peers?: ServerAddress[];
}

export const INITIAL_STATE: NodeState = { role: 'primary', fenced: false, appendonly: true };

export interface NodePaths {
  configFile: string;
  aclFile: string;
  stateFile: string;
  /** The server's working directory: dump.rdb and the append-only files. */
  dataDir: string;
  logFile: string;
}

/**
 * Quotes a value for the server's configuration parser (double quotes with backslash escapes), so that
 * passwords and paths with spaces, quotes or control characters read back exactly.
 */
export function quoteConfigValue(value: string): string {
  let quoted = '"';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') quoted += `\\${char}`;
    else if (code < 0x20 || code === 0x7f) quoted += `\\x${code.toString(16).padStart(2, '0')}`;
    else quoted += char;
  }
  return `${quoted}"`;
}

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function checkUserName(kind: string, name: string): void {
  if (!USER_NAME.test(name)) {
    throw new Error(
      `${kind} ${JSON.stringify(name)} is not a valid user name for Redis ACLs: use letters, digits, '.', '_' and '-'`,
    );
  }
  if (name === 'default' && kind === 'replication user') {
    throw new Error('the replication user cannot be "default"; choose another name');
  }
}

export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The owner the credentials name, checked; undefined for a cluster created before owners existed. */
export function ownerOf(credentials: EngineCredentials): OwnerCredentials | undefined {
  const owner = ownerIn(credentials);
  if (owner === undefined) return undefined;
  checkUserName('owner user', owner.user);
  if ([credentials.adminUser, credentials.replicationUser, 'default'].includes(owner.user)) {
    throw new Error(`the owner user cannot be called ${JSON.stringify(owner.user)}; choose a name of its own`);
  }
  return owner;
}

/** ACL rule lists (after the user name) for the users the orchestrator owns. Passwords only as hashes. */
export function adminAclRules(credentials: EngineCredentials): string[] {
  return ['on', `#${sha256Hex(credentials.adminPassword)}`, '~*', '&*', '+@all'];
}

/**
 * Commands the owner never gets, besides the whole `@dangerous` category (which covers them in Redis 7
 * but not in every fork): they reach the server's files, its role in the cluster, its users, or the fence.
 */
export const OWNER_DENIED_COMMANDS = [
  'config',
  'debug',
  'module',
  'replicaof',
  'slaveof',
  'shutdown',
  'acl',
  'failover',
  'save',
  'bgsave',
  'bgrewriteaof',
  'migrate',
  'sync',
  'psync',
  'replconf',
  'monitor',
  'cluster',
  'client|kill',
  'client|pause',
  'client|unpause',
  'client|list',
  'slowlog',
  'latency',
];

/** `@dangerous` commands an application needs and that stay within its own data (RESTORE is sanitised). */
export const OWNER_ALLOWED_DANGEROUS = [
  'info',
  'flushdb',
  'flushall',
  'keys',
  'sort',
  'sort_ro',
  'swapdb',
  'restore',
  'role',
  'lastsave',
];

/**
 * The cluster owner's rules: every key, channel and command of the dataset, none of the server's. It
 * cannot make users (ACL is denied), so nothing it makes can hold more than it does.
 */
export function ownerAclRules(password: string): string[] {
  return [
    'on',
    `#${sha256Hex(password)}`,
    '~*',
    '&*',
    '+@all',
    '-@dangerous',
    ...OWNER_ALLOWED_DANGEROUS.map((command) => `+${command}`),
    ...OWNER_DENIED_COMMANDS.map((command) => `-${command}`),
    // Asking who it is is harmless and some clients do.
    '+acl|whoami',
  ];
}

export function replicationAclRules(credentials: EngineCredentials): string[] {
  // What a replica (and the backup stream, which connects like one) sends: AUTH, PING, REPLCONF, PSYNC.
  return [
    'on',
    `#${sha256Hex(credentials.replicationPassword)}`,
    'resetchannels',
    '-@all',
    '+psync',
    '+replconf',
    '+ping',
    '+sync',
  ];
}

/**
 * The ACL file a new node starts with. The `default` user is disabled (unless the orchestrator's admin
 * is called `default`): every client authenticates as a named user. Users the cluster's owner adds later
 * are saved into the same file with `ACL SAVE`.
 */
export function renderAclFile(credentials: EngineCredentials): string {
  checkUserName('admin user', credentials.adminUser);
  checkUserName('replication user', credentials.replicationUser);
  if (credentials.adminUser === credentials.replicationUser) {
    throw new Error('the admin and replication users must differ');
  }
  const lines = [`user ${credentials.adminUser} ${adminAclRules(credentials).join(' ')}`];
  lines.push(`user ${credentials.replicationUser} ${replicationAclRules(credentials).join(' ')}`);
  const owner = ownerOf(credentials);
  if (owner) lines.push(`user ${owner.user} ${ownerAclRules(owner.password).join(' ')}`);
  if (credentials.adminUser !== 'default') lines.push('user default off resetpass resetkeys resetchannels -@all');
  return `${lines.join('\n')}\n`;
}

/** The server configuration file for `node` in `state`. Contains the replication password: mode 0600. */
export function renderServerConfig(
  node: EngineNode,
  state: NodeState,
  paths: NodePaths,
  flavour: RedisFlavour,
): string {
  const q = quoteConfigValue;
  const multiMaster = (state.peers ?? []).length > 0;
  if (multiMaster && flavour !== 'keydb') {
    throw new Error(`multi-master needs KeyDB; ${flavour} cannot replicate from peers`);
  }
  const lines = [
    `# Written by dbcluster-orchestrator for node ${node.name} (${flavour}); changes here are overwritten.`,
    `bind ${node.host}`,
    `port ${node.port}`,
    // Every user has a password (the default user is off), so protected mode never refuses a client;
    // it stays on as a safety net should the ACL file ever be replaced by one with a password-less user.
    'protected-mode yes',
    'daemonize no',
    'supervised no',
    'logfile ""',
    `dir ${q(paths.dataDir)}`,
    `aclfile ${q(paths.aclFile)}`,
    '',
    '# Persistence: append-only file fsynced every second, RDB preamble, no periodic snapshots.',
    `appendonly ${state.appendonly ? 'yes' : 'no'}`,
    'appendfsync everysec',
    'aof-use-rdb-preamble yes',
    'save ""',
    'dbfilename dump.rdb',
    '',
    '# RESTORE (which the owner may use) checks every payload deeply, so a crafted one cannot corrupt the server.',
    'sanitize-dump-payload yes',
    '# Replication: replicas authenticate as the replication user; full syncs stream without touching disk',
    '# and start at once; a 64 MB backlog lets a replica that was away briefly catch up without a full sync.',
    `masteruser ${node.credentials.replicationUser}`,
    `masterauth ${q(node.credentials.replicationPassword)}`,
    // KeyDB's active replicas take writes; everywhere else a replica refuses them.
    `replica-read-only ${multiMaster ? 'no' : 'yes'}`,
    'repl-diskless-sync yes',
    'repl-diskless-sync-delay 0',
    'repl-backlog-size 64mb',
    '',
    '# Fence: a fenced primary demands more in-sync replicas than can exist, so writes fail with NOREPLICAS.',
    `min-replicas-max-lag ${MIN_REPLICAS_MAX_LAG}`,
    `min-replicas-to-write ${state.fenced ? FENCE_MIN_REPLICAS : 0}`,
  ];
  if (flavour !== 'keydb') {
    // Redis 7 and Valkey: DEBUG and MODULE are refused to every client, the admin included (KeyDB 6 lacks the settings).
    lines.push('enable-debug-command no', 'enable-module-command no');
  }
  if (multiMaster) {
    lines.push(
      '',
      '# KeyDB multi-master: this node takes writes and replicates from each peer (active replication).',
      'active-replica yes',
      'multi-master yes',
      ...(state.peers ?? []).map((peer) => `replicaof ${peer.host} ${peer.port}`),
    );
  } else if (state.role === 'replica') {
    if (!state.primary) throw new Error(`node ${node.name} is recorded as a replica without a primary`);
    lines.push('', `replicaof ${state.primary.host} ${state.primary.port}`);
  }
  return `${lines.join('\n')}\n`;
}

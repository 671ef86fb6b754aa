/**
 * Where a node keeps its files under `node.dataDir`, and the server configuration written there.
 *
 * Binlogs and relay logs live beside the data directory, not in it: a physical backup copies only the
 * data directory, and a restore replaces it without bringing along another node's logs or its
 * replication settings (master.info lives with the relay logs).
 *
 * Settings the driver changes at runtime (read-only, GTID domain, auto-increment spacing) are also
 * written to `settings.cnf`, included by `my.cnf`, so they survive a restart of the node.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EngineNode } from '../types';

export interface NodeLayout {
  root: string;
  data: string;
  binlog: string;
  relay: string;
  tmp: string;
  run: string;
  log: string;
  /** The only directory the server may read or write files in by SQL (`secure_file_priv`); nobody holds FILE. */
  files: string;
  configFile: string;
  settingsFile: string;
  socket: string;
  serverPidFile: string;
  serverLog: string;
  /** Where a restore unpacks and prepares a backup before it replaces `data`. */
  restoreStaging: string;
  /** Where `initialise` builds a data directory before renaming it to `data`. */
  initStaging: string;
}

/** Unix socket paths are limited to 107 bytes; deep data directories get a short one in the temp dir. */
const MAX_SOCKET_PATH = 100;

export function layoutOf(node: Pick<EngineNode, 'dataDir'>): NodeLayout {
  const root = path.resolve(node.dataDir);
  const run = path.join(root, 'run');
  let socket = path.join(run, 'mysqld.sock');
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    const digest = createHash('sha256').update(root).digest('hex').slice(0, 16);
    socket = path.join(os.tmpdir(), `mysql-${digest}.sock`);
  }
  return {
    root,
    data: path.join(root, 'data'),
    binlog: path.join(root, 'binlog'),
    relay: path.join(root, 'relay'),
    tmp: path.join(root, 'tmp'),
    run,
    log: path.join(root, 'log'),
    files: path.join(root, 'files'),
    configFile: path.join(root, 'my.cnf'),
    settingsFile: path.join(root, 'settings.cnf'),
    socket,
    serverPidFile: path.join(run, 'mysqld.pid'),
    serverLog: path.join(root, 'log', 'mariadbd.log'),
    restoreStaging: path.join(root, 'restore.partial'),
    initStaging: path.join(root, 'data.partial'),
  };
}

/** Settings that change at runtime and must survive a restart. */
export interface NodeSettings {
  readOnly: boolean;
  gtidDomainId: number;
  autoIncrementIncrement: number;
  autoIncrementOffset: number;
}

/** A fresh node refuses writes until it is configured as a primary. */
export const INITIAL_SETTINGS: NodeSettings = {
  readOnly: true,
  gtidDomainId: 0,
  autoIncrementIncrement: 1,
  autoIncrementOffset: 1,
};

export function renderConfig(node: EngineNode, layout: NodeLayout): string {
  const lines = [
    '# Written by the orchestrator; settings.cnf holds what the driver changes at runtime.',
    '[mysqld]',
    `datadir = ${layout.data}`,
    `socket = ${layout.socket}`,
    `pid-file = ${layout.serverPidFile}`,
    `tmpdir = ${layout.tmp}`,
    `bind-address = ${node.host}`,
    `port = ${node.port}`,
    // Node numbers are unique within a cluster and never reused, which is what replication needs.
    `server-id = ${node.number}`,
    `log-bin = ${path.join(layout.binlog, 'binlog')}`,
    `log-bin-index = ${path.join(layout.binlog, 'binlog.index')}`,
    'binlog-format = ROW',
    'log-slave-updates = ON',
    'gtid-strict-mode = ON',
    // Durable commits: a committed transaction is in the binlog on disk, so replicas can get it after a crash.
    'sync-binlog = 1',
    'innodb-flush-log-at-trx-commit = 1',
    // A week of binlogs: a replica away for longer is re-seeded from a backup instead.
    'binlog-expire-logs-seconds = 604800',
    `relay-log = ${path.join(layout.relay, 'relay')}`,
    `relay-log-index = ${path.join(layout.relay, 'relay.index')}`,
    `master-info-file = ${path.join(layout.relay, 'master.info')}`,
    `relay-log-info-file = ${path.join(layout.relay, 'relay-log.info')}`,
    // Crash-safe replication: the applied position is stored transactionally with the data.
    'relay-log-recovery = ON',
    // A dead primary is noticed within seconds rather than the default minute.
    'slave-net-timeout = 10',
    'skip-name-resolve',
    // LOAD DATA / SELECT … INTO OUTFILE / LOAD_FILE() stay inside the node even for an account with FILE.
    `secure-file-priv = ${layout.files}`,
    // The owner makes triggers and stored functions without SUPER; with ROW binlogs what they do
    // replicates as rows, which is what the SUPER requirement guards against otherwise.
    'log-bin-trust-function-creators = ON',
    'innodb-buffer-pool-size = 128M',
    'innodb-log-file-size = 48M',
    'character-set-server = utf8mb4',
    'collation-server = utf8mb4_unicode_ci',
    `!include ${layout.settingsFile}`,
    '',
  ];
  return lines.join('\n');
}

export function renderSettings(settings: NodeSettings): string {
  return [
    '# Runtime settings the driver keeps across restarts.',
    '[mysqld]',
    `read-only = ${settings.readOnly ? 'ON' : 'OFF'}`,
    `gtid-domain-id = ${settings.gtidDomainId}`,
    `auto-increment-increment = ${settings.autoIncrementIncrement}`,
    `auto-increment-offset = ${settings.autoIncrementOffset}`,
    '',
  ].join('\n');
}

export function parseSettings(textContent: string): NodeSettings {
  const values = new Map<string, string>();
  for (const line of textContent.split('\n')) {
    const match = /^\s*([a-z-]+)\s*=\s*(\S+)\s*$/.exec(line);
    if (match !== null) values.set(match[1], match[2]);
  }
  const number = (key: string, fallback: number) => {
    const value = Number(values.get(key));
    return Number.isInteger(value) ? value : fallback;
  };
  return {
    readOnly: (values.get('read-only') ?? 'ON') !== 'OFF',
    gtidDomainId: number('gtid-domain-id', INITIAL_SETTINGS.gtidDomainId),
    autoIncrementIncrement: number('auto-increment-increment', INITIAL_SETTINGS.autoIncrementIncrement),
    autoIncrementOffset: number('auto-increment-offset', INITIAL_SETTINGS.autoIncrementOffset),
  };
}

export async function readSettings(layout: NodeLayout): Promise<NodeSettings> {
  try {
    return parseSettings(await fs.readFile(layout.settingsFile, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ...INITIAL_SETTINGS };
    throw error;
  }
}

/** Writes a file readable by the server user through a temporary file, so a crash never leaves half of it. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const partial = `${file}.partial`;
  await fs.writeFile(partial, content, { mode: 0o644 });
  await fs.rename(partial, file);
}

export async function writeSettings(layout: NodeLayout, settings: NodeSettings): Promise<void> {
  await writeFileAtomic(layout.settingsFile, renderSettings(settings));
}

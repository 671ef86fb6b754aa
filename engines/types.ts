/**
 * The contract every database engine driver implements. Activities call these methods; they never
 * talk SQL or RESP themselves. Every mutating method is idempotent: calling it twice (a retried
 * activity, a replayed workflow) leaves the node in the same state as calling it once.
 */
import type { Readable } from 'node:stream';

export const ENGINE_NAMES = ['mysql', 'postgresql', 'redis', 'keydb', 'valkey', 'timescaledb', 'hydra'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export type NodeRole = 'primary' | 'replica';

/**
 * Credentials of a cluster's engine users. Never logged, never written to histories in clear. The admin
 * and replication users are the product's own and never leave it; the owner is the application user the
 * API hands out: everything an application needs on its own data, nothing that reaches the host, the
 * product or the fence (see `ensureOwner`). Clusters created before owners existed have none until the
 * upgrade creates it.
 */
export interface EngineCredentials {
  adminUser: string;
  adminPassword: string;
  replicationUser: string;
  replicationPassword: string;
  ownerUser?: string;
  ownerPassword?: string;
}

/** Everything a driver needs to reach and manage one node. Built from the VM provider's ProvisionedNode. */
export interface EngineNode {
  /** Node name, e.g. `orders2`. */
  name: string;
  cluster: string;
  engine: EngineName;
  version: string;
  /** Node number (2 for `orders2`); used where an engine needs a numeric server id. */
  number: number;
  /** Directory owned by this node; the driver keeps the engine's data and config below it. */
  dataDir: string;
  /** Address the engine itself listens on (loopback for the local provider). */
  host: string;
  /** The engine's private port. Clients go through the node firewall on the public port instead. */
  port: number;
  credentials: EngineCredentials;
}

/**
 * Opaque, engine-specific replication position: a GTID set (MySQL/MariaDB), an LSN (PostgreSQL),
 * a replication offset (Redis). Only the driver that produced it interprets it.
 */
export type ReplicationPosition = string;

export interface ReplicationStatus {
  /** The node this replica follows, as host:port. */
  primary: string;
  state: 'streaming' | 'connecting' | 'stopped' | 'error';
  lastError?: string;
  /** Bytes of the primary's log not yet applied here; null when unknown (e.g. primary unreachable). */
  lagBytes: number | null;
  /** Seconds this replica is behind; null when unknown. */
  lagSeconds: number | null;
}

export interface NodeHealth {
  up: boolean;
  /** The role the engine itself reports (not the catalogue's). */
  role: NodeRole | 'unknown';
  /** True when the node refuses writes (a replica, or a fenced primary). */
  readOnly: boolean;
  version?: string;
  position?: ReplicationPosition;
  replication?: ReplicationStatus;
  /** Why the node is not up, when it is not. */
  error?: string;
}

export interface EngineCapabilities {
  multiMaster: boolean;
  /** Name of a required extension (timescaledb, hydra's columnar), when the engine needs one. */
  extension?: string;
}

/** An external database to migrate from. The password travels encrypted in workflow payloads. */
export interface ExternalSource {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Database (SQL engines) or logical db index as a string (Redis, default "0"). */
  database?: string;
}

export interface SourceReport {
  version: string;
  sizeBytes: number;
  /** Things that stop a migration, each a sentence a person can act on. Empty = ready. */
  blockers: string[];
  warnings: string[];
}

export interface CopyProgress {
  /** Units copied so far (rows, keys or bytes; the driver says which). */
  done: number;
  /** Total units when known. */
  total?: number;
  unit: 'rows' | 'keys' | 'bytes';
}

export interface CopyReport {
  copied: number;
  unit: CopyProgress['unit'];
  durationMs: number;
}

/** Where backups live. The default implementation is a local directory. */
export interface BackupStore {
  /** Streams `data` into the store under `key`; resolves with its size and SHA-256 hex digest. */
  put(key: string, data: Readable): Promise<StoredObject>;
  /** Opens the stored object; verifies nothing (use `verify`). */
  get(key: string): Readable;
  /** Re-reads the object and throws BackupChecksumError when it does not match. */
  verify(object: StoredObject): Promise<void>;
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
}

export interface StoredObject {
  key: string;
  /** Human-readable location (a path for the local store). */
  location: string;
  sizeBytes: number;
  sha256: string;
}

export interface BackupArtifact extends StoredObject {
  engine: EngineName;
  /** The engine's replication position the backup is consistent with, when known. */
  position?: ReplicationPosition;
}

export interface EngineDriver {
  readonly engine: EngineName;
  readonly capabilities: EngineCapabilities;

  /** Throws EngineUnavailableError (binary or extension missing, version unsupported). */
  checkAvailable(version: string): Promise<void>;

  /** Creates the engine's data and config under node.dataDir. No-op when already initialised. */
  initialise(node: EngineNode): Promise<void>;
  start(node: EngineNode): Promise<void>;
  stop(node: EngineNode): Promise<void>;
  health(node: EngineNode): Promise<NodeHealth>;

  /** Makes the node a writable primary with replication users and (when its credentials name one) the owner in place. */
  configureAsPrimary(node: EngineNode): Promise<void>;
  /**
   * Makes the cluster's owner (`node.credentials.ownerUser`) exist on the node with exactly the owner's
   * privileges and `ownerPassword`; sessions already open stay open. Call it for every node, primary
   * first: PostgreSQL replicas are physical copies of the primary (the call returns unchanged there);
   * MySQL/MariaDB and Redis put the owner in place on each node without replicating it (configuring a
   * node as primary or replica also does). Idempotent; throws UnsupportedOperationError when the
   * credentials name no owner.
   */
  ensureOwner(node: EngineNode): Promise<void>;
  /** Makes the node replicate from `primary` (including a former primary: rewinds when needed). */
  configureAsReplica(node: EngineNode, primary: EngineNode): Promise<void>;
  /** Makes the node refuse writes and returns the last position it acknowledged. */
  fence(node: EngineNode): Promise<ReplicationPosition>;
  /** Resolves once the node has applied everything up to `position`; throws ReplicationTimeoutError. */
  waitForPosition(node: EngineNode, position: ReplicationPosition, timeoutMs: number): Promise<void>;
  /** Turns a replica into a writable primary. */
  promote(node: EngineNode): Promise<void>;
  /** Removes all data; the node is stopped and must be restored or re-initialised before start. */
  erase(node: EngineNode): Promise<void>;

  /** Streams a consistent backup of the (running) node into the store. */
  backup(node: EngineNode, store: BackupStore, key: string): Promise<BackupArtifact>;
  /** Replaces the node's data with the artifact (checksum verified first); leaves the node running. */
  restore(node: EngineNode, store: BackupStore, artifact: BackupArtifact): Promise<void>;

  /** Connects to an external source and reports version, size and blockers. */
  checkSource(source: ExternalSource, timeoutMs?: number): Promise<SourceReport>;
  /** Copies the source's data into the (primary) node. */
  copyFrom(source: ExternalSource, node: EngineNode, onProgress?: (p: CopyProgress) => void): Promise<CopyReport>;

  /** Makes two primaries replicate from each other (only when capabilities.multiMaster). */
  configureMultiMaster?(a: EngineNode, b: EngineNode): Promise<void>;
}

/**
 * What the end-to-end scenario needs from each engine, as an ordinary client would do it: an
 * application user and an `items` table (or key space) made once with the cluster's admin account,
 * writes and reads as that user through the cluster endpoint or a node's firewall, reads on each
 * node's private address as admin (replicas included), and a migration source on the machine's own
 * standard-port instance.
 */
import type { Credentials, Engine, ExternalSourceInput } from '../../workflows/types';

export interface Address {
  host: string;
  port: number;
}

/** One row: `<id>=<value>`, so a data set compares as a sorted string list. */
export type Item = string;

export const item = (id: number, value: string): Item => `${id}=${value}`;

export function sortItems(items: Item[]): Item[] {
  return [...items].sort((a, b) => Number(a.split('=')[0]) - Number(b.split('=')[0]));
}

/** An ordinary client's connection (the application user, no admin rights). */
export interface AppClient {
  insert(id: number, value: string): Promise<void>;
  items(): Promise<Item[]>;
  close(): Promise<void>;
}

export interface MigrationSource {
  source: ExternalSourceInput;
  /** What the source holds, as items. */
  items: Item[];
  /** The migrated data as a node holds it (admin on its private address). */
  itemsOn(node: Address, credentials: Credentials): Promise<Item[]>;
  /** Removes the test database / keys from the machine's instance. */
  drop(): Promise<void>;
}

export interface EngineKit {
  engine: Engine;
  version: string;
  /** As the cluster's admin on the primary: the application user and its empty `items`. */
  prepare(primary: Address, credentials: Credentials): Promise<void>;
  /** Connects as the application user. `localAddress` binds the client to a loopback source address. */
  connect(address: Address, options?: { localAddress?: string }): Promise<AppClient>;
  /**
   * Whether `address` admits a client from `localAddress`: true after an authenticated round trip,
   * false when the connection is closed before the server said anything (a firewall's refusal).
   */
  admits(address: Address, localAddress: string): Promise<boolean>;
  /** Every item on a node (primary or replica), read as admin on its private address. */
  itemsOn(node: Address, credentials: Credentials): Promise<Item[]>;
  /** Creates a source database / key space on the machine's own instance and fills it. */
  createSource(rows: number): Promise<MigrationSource>;
}

/**
 * The contract every VM provider implements. The `local` provider runs each node as processes on
 * this machine; other providers (SSH hosts, cloud APIs) implement the same interface.
 *
 * Nodes behave like VMs: their processes (engine, node firewall) and the cluster endpoint keep
 * running when the orchestrator's worker dies, and a new worker adopts them through `resume`.
 */

export interface NodePlan {
  cpu: number;
  ramMb: number;
  diskGb: number;
}

export interface ProvisionRequest {
  cluster: string;
  /** Node name, e.g. `orders2`. */
  node: string;
  plan: NodePlan;
  /**
   * The cluster's allowlist, which the node's firewall starts with (normalised CIDRs; empty = open to
   * all). Absent: the firewall admits nobody until `setAllowlist`. A new node is never open by accident.
   */
  allowlist?: string[];
}

export interface ProvisionedNode {
  cluster: string;
  node: string;
  dataDir: string;
  /** Address the engine listens on: loopback, whatever address the firewall listens on. */
  host: string;
  /** Engine's private port (only the firewall talks to it). */
  privatePort: number;
  /** Public address clients use; the node firewall listens here. */
  publicHost: string;
  publicPort: number;
}

/** How to run an engine process; produced by the engine driver. */
export interface ProcessSpec {
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Unprivileged OS user to run as when the orchestrator runs as root (PostgreSQL refuses root). */
  runAsUser?: string;
  cwd?: string;
  /** File the process's stdout/stderr go to. */
  logFile: string;
  /**
   * Signal that asks the process to shut down (default SIGTERM), sent to the process itself; whatever is
   * left of its process group after it exits (or after the grace period) is SIGKILLed. PostgreSQL's fast
   * shutdown is SIGINT (its SIGTERM waits for clients to disconnect).
   */
  stopSignal?: 'SIGTERM' | 'SIGINT' | 'SIGQUIT';
}

/** Starts and supervises the long-running processes of nodes. */
export interface ProcessSupervisor {
  /** Starts (or adopts, if already running) the named process of a node and restarts it if it dies. */
  start(node: string, name: string, spec: ProcessSpec): Promise<void>;
  /** Stops it (SIGTERM, then SIGKILL after a grace period) and stops supervising it. */
  stop(node: string, name: string, graceMs?: number): Promise<void>;
  isRunning(node: string, name: string): Promise<boolean>;
}

export interface EndpointAddress {
  host: string;
  port: number;
}

export interface VmProvider {
  readonly name: string;
  readonly supervisor: ProcessSupervisor;

  /** Creates the node's data directory, allocates ports and starts its firewall. Idempotent by node name. */
  provision(request: ProvisionRequest): Promise<ProvisionedNode>;
  /** Stops every process of the node, removes its directory and releases its ports. Idempotent. */
  deprovision(node: string): Promise<void>;
  /** The node if provisioned, else undefined. */
  describe(node: string): Promise<ProvisionedNode | undefined>;

  /** Replaces the node firewall's allowlist (normalised CIDRs; empty = open to all). */
  setAllowlist(node: string, allowlist: string[]): Promise<void>;
  /**
   * Cuts the node off from every client (`isolated` true), at its firewall and at any endpoint in front
   * of it, whatever its allowlist says, and closes the connections it has; false lifts that. Survives
   * restarts of the firewall and of the provider. Engine-to-engine traffic (replication, the product's
   * own sessions) does not pass the firewall and is not affected.
   */
  setIsolation(node: string, isolated: boolean): Promise<void>;

  /** Points the cluster endpoint at `target` (creating it on first use); switches atomically. */
  setEndpoint(cluster: string, target: EndpointAddress): Promise<EndpointAddress>;
  getEndpoint(cluster: string): Promise<EndpointAddress | undefined>;
  removeEndpoint(cluster: string): Promise<void>;

  /** Free bytes on the disk that holds the node's data (or the provider's base dir). */
  freeDiskBytes(node?: string): Promise<number>;

  /** Re-adopts every provisioned node's processes and every endpoint after a restart. */
  resume(): Promise<void>;
  /** Stops every process this provider started (product shutdown, test teardown). */
  shutdown(): Promise<void>;
}

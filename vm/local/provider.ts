/**
 * The `local` VM provider: each node is a directory under `<baseDir>/nodes/<node>/` plus two loopback
 * ports (the engine's private port and the public port its firewall listens on); each cluster endpoint
 * is a front on its own port under `<baseDir>/endpoints/<cluster>/`. All processes run detached and
 * survive the orchestrator; `resume` adopts them. State lives in `<baseDir>/state.json`.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

import { parseAllowlist } from '../allowlist';
import { InvalidAddressError } from '../../engines/errors';
import { InvalidNameError, PortsExhaustedError, ProcessStartError, UnknownNodeError } from '../errors';
import type { EndpointAddress, ProcessSupervisor, ProvisionedNode, ProvisionRequest, VmProvider } from '../types';
import { FrontRunner, type FrontPaths, type FrontSettings } from './front-runner';
import { endpointKey, firewallKey, validateName } from './names';
import { NodeProcesses } from './node-processes';
import { KeyedMutex } from './keyed-mutex';
import { candidatePorts, canBind, DEFAULT_PORT_RANGE, hasIpv6Loopback } from './ports';
import { LocalSupervisor, type Logger } from './supervisor';
import { StateStore, type EndpointRecord, type NodeRecord, type ProviderState } from './state-store';

export interface LocalVmProviderOptions {
  baseDir: string;
  /** Inclusive range the provider allocates ports from. */
  portRange?: [number, number];
  /**
   * Address the fronts (node firewalls and cluster endpoints) listen on (default 127.0.0.1; they then
   * also listen on ::1 when it exists). Engines always listen on loopback only: clients reach them
   * through the fronts, never around them.
   */
  host?: string;
  /** Receives lifecycle events (provisioning, restarts, failures); default: JSON lines on stderr. */
  logger?: Logger;
}

export interface RecordedProcess {
  /** `node/<node>/<name>`, `firewall/<node>` or `endpoint/<cluster>`. */
  key: string;
  pid?: number;
  /** Running and supervised by this provider instance. */
  running: boolean;
}

/** Default logger: one JSON line per event on stderr, so restarts are never silent. */
function logToStderr(message: string, fields: object = {}): void {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), source: 'vm/local', msg: message, ...fields })}\n`,
  );
}

export class LocalVmProvider implements VmProvider {
  readonly name = 'local';
  readonly supervisor: ProcessSupervisor;
  readonly baseDir: string;
  private readonly host: string;
  private readonly portRange: [number, number];
  private readonly log: Logger;
  private readonly mutex = new KeyedMutex();
  private opened: Promise<{ store: StateStore; processes: LocalSupervisor; fronts: FrontRunner }> | undefined;

  constructor(options: LocalVmProviderOptions) {
    this.baseDir = options.baseDir;
    this.host = options.host ?? '127.0.0.1';
    this.portRange = options.portRange ?? DEFAULT_PORT_RANGE;
    this.log = options.logger ?? logToStderr;
    this.supervisor = new NodeProcesses(
      () => this.open(),
      (node) => this.nodeDir(node),
    );
  }

  async provision(request: ProvisionRequest): Promise<ProvisionedNode> {
    validateName('node', request.node);
    validateName('cluster', request.cluster);
    const allowlist = request.allowlist === undefined ? undefined : parseAllowlist(request.allowlist);
    const { store } = await this.open();
    return this.mutex.run(`node:${request.node}`, async () => {
      let record = store.state.nodes[request.node];
      if (record !== undefined && record.cluster !== request.cluster) {
        throw new InvalidNameError(
          `node ${request.node} already belongs to cluster ${record.cluster}; node names are unique per provider`,
        );
      }
      if (record === undefined) {
        const [privatePort, publicPort] = await this.allocatePorts([
          `node:${request.node}:private`,
          `node:${request.node}:public`,
        ]);
        const nodeDir = this.nodeDir(request.node);
        record = {
          cluster: request.cluster,
          node: request.node,
          dataDir: join(nodeDir, 'data'),
          host: ENGINE_HOST,
          privatePort,
          publicHost: this.host,
          publicPort,
          plan: request.plan,
          // The firewall starts with the cluster's allowlist, or admits nobody until it gets one.
          allowlist: allowlist ?? [],
          ...(allowlist === undefined ? { closed: true } : {}),
          generation: 1,
          createdAt: new Date().toISOString(),
        };
        const created = record;
        await store.update((state) => (state.nodes[request.node] = created));
        this.log('node provisioned', { node: request.node, privatePort, publicPort });
      }
      await this.bringUp(record);
      return toProvisionedNode(record);
    });
  }

  async deprovision(node: string): Promise<void> {
    validateName('node', node);
    const { store, processes } = await this.open();
    await this.mutex.run(`node:${node}`, async () => {
      for (const key of [...processes.keys(`node/${node}/`), firewallKey(node)]) await processes.stop(key);
      await fs.rm(this.nodeDir(node), { recursive: true, force: true });
      if (store.state.nodes[node] === undefined) return;
      await store.update((state) => {
        delete state.nodes[node];
        releasePorts(state, (owner) => owner.startsWith(`node:${node}:`));
      });
      this.log('node deprovisioned', { node });
    });
  }

  async describe(node: string): Promise<ProvisionedNode | undefined> {
    const { store } = await this.open();
    const record = store.state.nodes[node];
    return record === undefined ? undefined : toProvisionedNode(record);
  }

  /** The node's current (normalised) allowlist; undefined when the node is unknown. */
  async getAllowlist(node: string): Promise<string[] | undefined> {
    const { store } = await this.open();
    return store.state.nodes[node]?.allowlist.slice();
  }

  async setAllowlist(node: string, allowlist: string[]): Promise<void> {
    const normalised = parseAllowlist(allowlist);
    const { store, fronts } = await this.open();
    await this.mutex.run(`node:${node}`, async () => {
      const record = store.state.nodes[node];
      if (record === undefined) throw new UnknownNodeError(`node ${node} is not provisioned; provision it first`);
      await store.update(() => {
        record.allowlist = normalised;
        delete record.closed;
        record.generation++;
      });
      await fronts.apply(firewallKey(node), this.firewallPaths(node), await this.firewallConfig(record));
      this.log('allowlist applied', { node, allowlist: normalised });
    });
    await this.reapplyEndpointsOf(node);
  }

  async setIsolation(node: string, isolated: boolean): Promise<void> {
    const { store, fronts } = await this.open();
    await this.mutex.run(`node:${node}`, async () => {
      const record = store.state.nodes[node];
      if (record === undefined) throw new UnknownNodeError(`node ${node} is not provisioned; provision it first`);
      if ((record.isolated ?? false) === isolated) return;
      // Recorded before it is applied: a firewall restarted at any point reads the isolation from disk.
      await store.update(() => {
        if (isolated) record.isolated = true;
        else delete record.isolated;
        record.generation++;
      });
      await fronts.apply(firewallKey(node), this.firewallPaths(node), await this.firewallConfig(record));
      this.log(isolated ? 'node cut off from every client' : 'node reachable again', { node });
    });
    await this.reapplyEndpointsOf(node);
  }

  /** An endpoint in front of this node enforces the node's allowlist and isolation (see `applyEndpoint`). */
  private async reapplyEndpointsOf(node: string): Promise<void> {
    const { store } = await this.open();
    for (const endpoint of Object.values(store.state.endpoints)) {
      if (this.nodeBehind(store.state, endpoint.target)?.node !== node) continue;
      await this.mutex.run(`endpoint:${endpoint.cluster}`, async () => {
        await store.update(() => endpoint.generation++);
        await this.applyEndpoint(endpoint);
      });
    }
  }

  async setEndpoint(cluster: string, target: EndpointAddress): Promise<EndpointAddress> {
    validateName('cluster', cluster);
    validateTarget(target);
    const { store } = await this.open();
    return this.mutex.run(`endpoint:${cluster}`, async () => {
      let record = store.state.endpoints[cluster];
      if (record === undefined) {
        const [port] = await this.allocatePorts([`endpoint:${cluster}`]);
        const created = { cluster, host: this.host, port, target: { ...target }, generation: 1 };
        await store.update((state) => (state.endpoints[cluster] = created));
        record = created;
      } else if (record.target.host !== target.host || record.target.port !== target.port) {
        const existing = record;
        await store.update(() => {
          existing.target = { host: target.host, port: target.port };
          existing.generation++;
        });
      }
      const endpoint = record;
      await this.applyEndpoint(endpoint);
      this.log('endpoint points at target', { cluster, port: endpoint.port, target: endpoint.target });
      return { host: endpoint.host, port: endpoint.port };
    });
  }

  async getEndpoint(cluster: string): Promise<EndpointAddress | undefined> {
    const { store } = await this.open();
    const record = store.state.endpoints[cluster];
    return record === undefined ? undefined : { host: record.host, port: record.port };
  }

  async removeEndpoint(cluster: string): Promise<void> {
    validateName('cluster', cluster);
    const { store, processes } = await this.open();
    await this.mutex.run(`endpoint:${cluster}`, async () => {
      await processes.stop(endpointKey(cluster));
      await fs.rm(this.endpointPaths(cluster).dir, { recursive: true, force: true });
      if (store.state.endpoints[cluster] === undefined) return;
      await store.update((state) => {
        delete state.endpoints[cluster];
        releasePorts(state, (owner) => owner === `endpoint:${cluster}`);
      });
    });
  }

  async freeDiskBytes(node?: string): Promise<number> {
    const { store } = await this.open();
    let path = this.baseDir;
    if (node !== undefined) {
      if (store.state.nodes[node] === undefined) throw new UnknownNodeError(`node ${node} is not provisioned`);
      path = this.nodeDir(node);
    }
    const stats = await fs.statfs(path);
    return stats.bavail * stats.bsize;
  }

  async resume(): Promise<void> {
    const { store, processes } = await this.open();
    await processes.resumeAll();
    // Nodes and endpoints are re-applied so a half-done provision, or a configuration written just
    // before a crash, is completed. One failure does not keep the others from resuming.
    const failures: string[] = [];
    const attempt = async (what: string, step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (error) {
        failures.push(`${what}: ${(error as Error).message}`);
      }
    };
    for (const record of Object.values(store.state.nodes)) {
      await attempt(`node ${record.node}`, () => this.mutex.run(`node:${record.node}`, () => this.bringUp(record)));
    }
    for (const endpoint of Object.values(store.state.endpoints)) {
      await attempt(`endpoint ${endpoint.cluster}`, () => this.setEndpoint(endpoint.cluster, endpoint.target));
    }
    this.log('provider resumed', { processes: Object.keys(store.state.processes).length, failures });
    if (failures.length > 0) {
      throw new ProcessStartError(`resume incomplete (supervision continues): ${failures.join('; ')}`);
    }
  }

  /** Every process the provider records, with its pid and whether it runs (diagnostics and tests). */
  async processes(): Promise<RecordedProcess[]> {
    const { store, processes } = await this.open();
    return Object.entries(store.state.processes).map(([key, record]) => ({
      key,
      pid: record.identity?.pid,
      running: processes.isRunning(key),
    }));
  }

  async shutdown(): Promise<void> {
    if (this.opened === undefined) return;
    const { processes } = await this.opened;
    await processes.shutdown();
  }

  /**
   * Stops supervising without stopping anything: the processes keep running (like VMs when their
   * orchestrator goes away) and a later provider adopts them with `resume`.
   */
  async detach(): Promise<void> {
    if (this.opened === undefined) return;
    const { processes } = await this.opened;
    processes.detach();
  }

  /** Lazily opens the state (a new instance after a crash picks it up here). */
  private open(): Promise<{ store: StateStore; processes: LocalSupervisor; fronts: FrontRunner }> {
    this.opened ??= (async () => {
      // Traversable, not listable: engines running as their own users reach their node's directory
      // by its name, and nobody lists the nodes (see SECURITY.md).
      await fs.mkdir(join(this.baseDir, 'nodes'), { recursive: true, mode: 0o711 });
      for (const dir of [this.baseDir, join(this.baseDir, 'nodes')]) await fs.chmod(dir, 0o711);
      const store = await StateStore.open(this.baseDir);
      const processes = new LocalSupervisor(store, this.log);
      return { store, processes, fronts: new FrontRunner(processes) };
    })();
    this.opened.catch(() => (this.opened = undefined));
    return this.opened;
  }

  /** Makes sure the node's directories exist and its firewall runs with the recorded configuration. */
  private async bringUp(record: NodeRecord): Promise<void> {
    const { fronts } = await this.open();
    await fs.mkdir(record.dataDir, { recursive: true, mode: 0o711 });
    for (const dir of [this.nodeDir(record.node), record.dataDir]) await fs.chmod(dir, 0o711);
    await fronts.apply(firewallKey(record.node), this.firewallPaths(record.node), await this.firewallConfig(record));
  }

  private nodeDir(node: string): string {
    return join(this.baseDir, 'nodes', node);
  }

  private firewallPaths(node: string): FrontPaths {
    return FrontRunner.paths(join(this.nodeDir(node), 'firewall'));
  }

  private endpointPaths(cluster: string): FrontPaths {
    return FrontRunner.paths(join(this.baseDir, 'endpoints', cluster));
  }

  private async firewallConfig(record: NodeRecord): Promise<FrontSettings> {
    return {
      label: `firewall ${record.node}`,
      generation: record.generation,
      listen: await this.listenAddresses(record.publicPort),
      target: { host: record.host, port: record.privatePort },
      allowlist: record.allowlist,
      denyAll: admitsNobody(record),
    };
  }

  /**
   * When the endpoint's target is one of our nodes (its public or private address), the endpoint goes
   * straight to the node's engine and enforces the node's allowlist itself: through the node's firewall
   * every client would arrive from the endpoint's own address, and the allowlist could not tell them apart.
   */
  private async applyEndpoint(endpoint: EndpointRecord): Promise<void> {
    const { store, fronts } = await this.open();
    const node = this.nodeBehind(store.state, endpoint.target);
    const forwardsTo = node === undefined ? endpoint.target : { host: node.host, port: node.privatePort };
    // Recorded so the port stays reserved while the front may still forward there (see allocatePorts).
    await store.update(() => (endpoint.forwardsTo = forwardsTo));
    await fronts.apply(endpointKey(endpoint.cluster), this.endpointPaths(endpoint.cluster), {
      label: `endpoint ${endpoint.cluster}`,
      generation: endpoint.generation,
      listen: await this.listenAddresses(endpoint.port),
      target: forwardsTo,
      allowlist: node?.allowlist ?? [],
      denyAll: node !== undefined && admitsNobody(node),
    });
  }

  private nodeBehind(state: ProviderState, target: EndpointAddress): NodeRecord | undefined {
    return Object.values(state.nodes).find(
      (node) =>
        (node.publicHost === target.host && node.publicPort === target.port) ||
        (node.host === target.host && node.privatePort === target.port),
    );
  }

  /** The provider's host, plus `::1` when the host is IPv4 loopback so IPv6 clients can be tested. */
  private async listenAddresses(port: number) {
    const listen = [{ host: this.host, port, optional: false }];
    if (this.host.startsWith('127.') && (await hasIpv6Loopback())) listen.push({ host: '::1', port, optional: true });
    return listen;
  }

  private async allocatePorts(owners: string[]): Promise<number[]> {
    const { store } = await this.open();
    return this.mutex.run('ports', async () => {
      // Ports an owner already holds (a crash between allocating and recording the node) are reused.
      const held = new Map(Object.entries(store.state.ports).map(([port, owner]) => [owner, Number(port)]));
      if (owners.every((owner) => held.has(owner))) return owners.map((owner) => held.get(owner) as number);
      // A port an endpoint forwards to is never handed out, even after its node is gone: the endpoint
      // must not end up in front of another cluster's engine before it is moved or removed.
      const forwardedTo = new Set(
        Object.values(store.state.endpoints).flatMap((e) => [e.target.port, e.forwardsTo?.port ?? e.target.port]),
      );
      const chosen: number[] = [];
      const ipv6 = this.host.startsWith('127.') && (await hasIpv6Loopback());
      for (const port of candidatePorts(this.portRange)) {
        if (chosen.length === owners.length) break;
        if (store.state.ports[port] !== undefined || forwardedTo.has(port) || chosen.includes(port)) continue;
        if (!(await canBind(this.host, port)) || (ipv6 && !(await canBind('::1', port)))) continue;
        if (this.host !== ENGINE_HOST && !(await canBind(ENGINE_HOST, port))) continue;
        chosen.push(port);
      }
      if (chosen.length < owners.length) {
        throw new PortsExhaustedError(
          `no free port left in ${this.portRange[0]}-${this.portRange[1]}; deprovision unused nodes or widen the range`,
        );
      }
      await store.update((state) => owners.forEach((owner, i) => (state.ports[chosen[i]] = owner)));
      return chosen;
    });
  }
}

/** Engines listen here only; the fronts listen on the provider's host. */
const ENGINE_HOST = '127.0.0.1';

function admitsNobody(record: NodeRecord): boolean {
  return (record.closed ?? false) || (record.isolated ?? false);
}

function toProvisionedNode(record: NodeRecord): ProvisionedNode {
  const { cluster, node, dataDir, host, privatePort, publicHost, publicPort } = record;
  return { cluster, node, dataDir, host, privatePort, publicHost, publicPort };
}

function releasePorts(state: ProviderState, isReleased: (owner: string) => boolean): void {
  for (const [port, owner] of Object.entries(state.ports)) {
    if (isReleased(owner)) delete state.ports[port];
  }
}

function validateTarget(target: EndpointAddress): void {
  const valid =
    typeof target?.host === 'string' &&
    target.host !== '' &&
    Number.isInteger(target.port) &&
    target.port > 0 &&
    target.port < 65536;
  if (!valid) {
    throw new InvalidAddressError(`endpoint target ${JSON.stringify(target)} is not a host and a port from 1 to 65535`);
  }
}

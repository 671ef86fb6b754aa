/** Translations between the workflows' view of a node and the drivers' and provider's views. */
import type { EngineNode, NodeHealth } from '../engines/types';
import type { ProvisionedNode } from '../vm/types';
import type { NodeHealthReport, NodeTarget, ProvisionedNodeInfo } from './contract';

/** The driver's view: the engine's private address (the firewall is for clients), plus credentials. */
export function engineNodeOf(target: NodeTarget): EngineNode {
  return {
    name: target.node.name,
    cluster: target.cluster,
    engine: target.engine,
    version: target.version,
    number: target.node.number,
    dataDir: target.node.dataDir,
    host: target.node.privateHost,
    port: target.node.privatePort,
    credentials: target.credentials,
  };
}

export function provisionedNodeInfo(node: ProvisionedNode): ProvisionedNodeInfo {
  return {
    host: node.publicHost,
    port: node.publicPort,
    privateHost: node.host,
    privatePort: node.privatePort,
    dataDir: node.dataDir,
  };
}

export function healthReport(node: string, health: NodeHealth): NodeHealthReport {
  const replication = health.replication;
  // A primary that answers has nothing to catch up on; anything else without replication data is unknown.
  const ownLag = health.up && health.role === 'primary' && replication === undefined ? 0 : null;
  return {
    node,
    up: health.up,
    role: health.role,
    readOnly: health.readOnly,
    ...(replication ? { replicatingFrom: replication.primary, replicationState: replication.state } : {}),
    lagBytes: replication ? replication.lagBytes : ownLag,
    lagSeconds: replication ? replication.lagSeconds : ownLag,
    ...(health.position !== undefined ? { position: health.position } : {}),
    ...(health.error !== undefined || replication?.lastError !== undefined
      ? { error: health.error ?? replication?.lastError }
      : {}),
  };
}

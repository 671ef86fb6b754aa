/**
 * How to connect to a cluster as its application owner, through the cluster endpoint: host, port,
 * user, password and a ready-to-use URI (`psql`, `mysql`, `redis-cli -u`). Served by
 * `GET /v1/clusters/{name}/credentials` (`routes/clusters.ts`, admin tokens only). Only the owner is
 * ever handed out: the product's admin and replication users never leave it. The entity's state query
 * never carries credentials; they are read with its dedicated `credentials` query.
 */
import type { ClusterSpec, ClusterView, Credentials, Engine } from '../workflows/types';
import { NoEndpointYetError, NoOwnerYetError, ResourceNotFoundError } from './errors';

export interface ConnectionInfo {
  cluster: string;
  engine: Engine;
  /** The cluster endpoint: always reaches the current primary. */
  host: string;
  port: number;
  user: string;
  password: string;
  /** PostgreSQL flavours: the database every cluster has. */
  database?: string;
  /** `postgresql://…`, `mysql://…` or `redis://…`, user and password percent-encoded. */
  uri: string;
}

const POSTGRES_FLAVOURS: readonly Engine[] = ['postgresql', 'timescaledb', 'hydra'];
const REDIS_FLAVOURS: readonly Engine[] = ['redis', 'keydb', 'valkey'];

/** The user a connection is for: always the cluster's owner. */
export interface ConnectionUser {
  user: string;
  password: string;
}

export function connectionInfo(
  cluster: string,
  engine: Engine,
  endpoint: { host: string; port: number },
  owner: ConnectionUser,
): ConnectionInfo {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  const userInfo = `${encodeURIComponent(owner.user)}:${encodeURIComponent(owner.password)}`;
  const base = {
    cluster,
    engine,
    host: endpoint.host,
    port: endpoint.port,
    user: owner.user,
    password: owner.password,
  };
  if (POSTGRES_FLAVOURS.includes(engine)) {
    return { ...base, database: 'postgres', uri: `postgresql://${userInfo}@${host}:${endpoint.port}/postgres` };
  }
  if (REDIS_FLAVOURS.includes(engine)) return { ...base, uri: `redis://${userInfo}@${host}:${endpoint.port}` };
  return { ...base, uri: `mysql://${userInfo}@${host}:${endpoint.port}/` };
}

/** What reading a connection needs from Temporal (`ClusterGateway` in the API). */
export interface ConnectionSource {
  state(cluster: string): Promise<Pick<ClusterView, 'status' | 'endpoint'> & { spec: Pick<ClusterSpec, 'engine'> }>;
  credentials(cluster: string): Promise<Pick<Credentials, 'ownerUser' | 'ownerPassword'>>;
}

/**
 * The owner's connection to a live cluster; 404 when it does not exist or was deleted, 409 before its
 * endpoint exists or while it has no owner yet (created before owners existed, until its upgrade).
 */
export async function readConnectionInfo(source: ConnectionSource, cluster: string): Promise<ConnectionInfo> {
  const state = await source.state(cluster);
  if (state.status === 'deleted' || state.status === 'deleting') {
    throw new ResourceNotFoundError(`cluster ${cluster} is ${state.status}`);
  }
  if (!state.endpoint) throw new NoEndpointYetError(cluster, state.status);
  const { ownerUser, ownerPassword } = await source.credentials(cluster);
  if (!ownerUser || ownerPassword === undefined) throw new NoOwnerYetError(cluster);
  return connectionInfo(cluster, state.spec.engine, state.endpoint, { user: ownerUser, password: ownerPassword });
}

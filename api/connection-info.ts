/**
 * `GET /v1/clusters/:name/credentials` (admin tokens only): how to connect to a cluster as its admin
 * user, through the cluster endpoint: host, port, user, password and a ready-to-use URI (`psql`,
 * `mysql`, `redis-cli -u`). The entity's state query never carries credentials; this route reads
 * them with the dedicated `credentials` query, and answers with `Cache-Control: no-store`.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { credentialsQuery } from '../workflows/cluster-api';
import type { Engine } from '../workflows/types';
import { principalOf, requireToken, TokenVerifier } from './auth';
import { ClusterGateway } from './cluster-gateway';
import type { ApiDeps } from './deps';
import {
  ApiError,
  PermissionError,
  problemOf,
  RequestValidationError,
  ResourceNotFoundError,
  toApiError,
} from './errors';
import { fieldErrors } from './route-kit';
import { ClusterName } from './schemas';

export const CREDENTIALS_PATH = '/v1/clusters/:name/credentials';

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

export function connectionInfo(
  cluster: string,
  engine: Engine,
  endpoint: { host: string; port: number },
  credentials: { adminUser: string; adminPassword: string },
): ConnectionInfo {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  const userInfo = `${encodeURIComponent(credentials.adminUser)}:${encodeURIComponent(credentials.adminPassword)}`;
  const base = {
    cluster,
    engine,
    host: endpoint.host,
    port: endpoint.port,
    user: credentials.adminUser,
    password: credentials.adminPassword,
  };
  if (POSTGRES_FLAVOURS.includes(engine)) {
    return { ...base, database: 'postgres', uri: `postgresql://${userInfo}@${host}:${endpoint.port}/postgres` };
  }
  if (REDIS_FLAVOURS.includes(engine)) return { ...base, uri: `redis://${userInfo}@${host}:${endpoint.port}` };
  return { ...base, uri: `mysql://${userInfo}@${host}:${endpoint.port}/` };
}

/** The connection of a live cluster; 404 when it does not exist or was deleted, 409 before its endpoint exists. */
export async function readConnectionInfo(gateway: ClusterGateway, cluster: string): Promise<ConnectionInfo> {
  const state = await gateway.state(cluster);
  if (state.status === 'deleted' || state.status === 'deleting') {
    throw new ResourceNotFoundError(`cluster ${cluster} is ${state.status}`);
  }
  if (!state.endpoint) {
    throw new ApiError(
      409,
      'Conflict',
      `cluster ${cluster} has no endpoint yet (status ${state.status}); ask again once its deploy has finished`,
      'urn:problem-type:dbcluster:no-endpoint-yet',
    );
  }
  const credentials = await gateway.bounded(() => gateway.entity(cluster).query(credentialsQuery));
  return connectionInfo(cluster, state.spec.engine, state.endpoint, credentials);
}

const Params = z.strictObject({ name: ClusterName });

export type CredentialsRouteDeps = Pick<ApiDeps, 'client' | 'taskQueue' | 'auth' | 'logger' | 'temporalTimeoutMs'>;

/** Like the rest of the API: a Temporal call that does not answer in time becomes a 504. */
const DEFAULT_TEMPORAL_TIMEOUT_MS = 30_000;

/** The route as Express middleware, to mount before the rest of the API. */
export function credentialsRoute(deps: CredentialsRouteDeps): express.Router {
  const gateway = new ClusterGateway(
    deps.client,
    deps.taskQueue,
    deps.temporalTimeoutMs ?? DEFAULT_TEMPORAL_TIMEOUT_MS,
  );
  const router = express.Router();
  router.get(CREDENTIALS_PATH, requireToken(new TokenVerifier(deps.auth)), async (req: Request, res: Response) => {
    const principal = principalOf(res);
    if (principal.role !== 'admin') {
      throw new PermissionError(`token ${principal.name} has the read role; credentials are for admin tokens only`);
    }
    const params = Params.safeParse({ ...req.params });
    if (!params.success) throw new RequestValidationError(fieldErrors('path', params.error));
    const info = await readConnectionInfo(gateway, params.data.name);
    deps.logger.info({ cluster: info.cluster, actor: principal.name }, 'cluster credentials read');
    res.setHeader('Cache-Control', 'no-store');
    res.json(info);
  });
  // Errors of this route only; everything else falls through to the API's own handler.
  router.use(CREDENTIALS_PATH, (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const problem = toApiError(error, { bodyLimit: 'none' });
    if (problem.status >= 500) deps.logger.error({ err: error }, 'credentials request failed');
    for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
    res
      .status(problem.status)
      .type('application/problem+json')
      .send(JSON.stringify(problemOf(problem, req.originalUrl)));
  });
  return router;
}

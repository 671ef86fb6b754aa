/**
 * What the HTTP API needs from its host process (`api/main.ts` builds these and calls `createApp`).
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AuditReadOptions, AuditRecord } from '../activities/audit-log';
import type { AuthConfig } from './auth';
import type { WebUiGate } from './web-ui';

/** The read side of the audit log (`activities/audit-log.ts` `JsonlAuditLog` implements it). */
export interface AuditLogReader {
  /** Newest first; entries with `seq < before`. */
  read(cluster: string, options?: AuditReadOptions): Promise<AuditRecord[]>;
}

export interface ApiDeps {
  /** Already configured: namespace, data converter (payload codec). */
  client: Client;
  /** Where cluster workflows run (the worker's task queue). */
  taskQueue: string;
  /** Bearer tokens and their roles, already resolved (see `parseApiTokens`). */
  auth: AuthConfig;
  /**
   * The durable audit log written by the worker. Without it, `GET …/audit` serves the entries the
   * cluster entity keeps in its state (the newest 500, and nothing once the cluster is deleted).
   */
  auditLog?: AuditLogReader;
  logger: Logger;
  /** Where the API's metrics are registered and what `GET /metrics` serves; a private registry if absent. */
  metrics?: Registry;
  /**
   * How long one request may wait for Temporal (an Update waits for a worker to run the validator)
   * before it is answered 504. Default 30 000 ms.
   */
  temporalTimeoutMs?: number;
  /** Sign-in and the codec endpoint (`/signin`, `/auth/*`, `/codec/*`) for a Temporal Web UI. */
  webUi?: WebUiGate;
}

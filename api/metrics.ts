/**
 * The API's Prometheus metrics:
 *
 * - `dbco_api_requests_total{method,route,status}` and `dbco_api_request_duration_seconds{method,route,status}`:
 *   every answered request, by route template (`/v1/clusters/:name`, or `unmatched`), never by raw URL.
 * - `dbco_api_operations_started_total{type}`: operations this API started (answered 202).
 * - `dbco_api_operations_completed_total{type}` / `dbco_api_operations_failed_total{type}`: operations
 *   this API saw finished when someone polled `GET /v1/operations/{id}`; each operation is counted
 *   once per API process (the last 10 000 ids are remembered). Operations nobody polls, and those
 *   started by schedules or auto-failover, are not counted. Failed includes cancelled, terminated
 *   and timed out.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { OperationState } from './operation-status';

const REMEMBERED_OPERATIONS = 10_000;

/** The registry's metric of this name, or a new one (two apps may share a registry). */
function metric<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export class ApiMetrics {
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'status'>;
  private readonly started: Counter<'type'>;
  private readonly completed: Counter<'type'>;
  private readonly failed: Counter<'type'>;
  private readonly seenFinished = new Set<string>();

  constructor(readonly registry: Registry) {
    const registers = [registry];
    this.requests = metric(
      registry,
      'dbco_api_requests_total',
      () =>
        new Counter({
          name: 'dbco_api_requests_total',
          help: 'HTTP requests answered, by method, route template and status',
          labelNames: ['method', 'route', 'status'],
          registers,
        }),
    );
    this.duration = metric(
      registry,
      'dbco_api_request_duration_seconds',
      () =>
        new Histogram({
          name: 'dbco_api_request_duration_seconds',
          help: 'Time to answer an HTTP request, by method, route template and status',
          labelNames: ['method', 'route', 'status'],
          buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
          registers,
        }),
    );
    const operations = (name: string, help: string) =>
      metric(registry, name, () => new Counter({ name, help, labelNames: ['type'], registers }));
    this.started = operations('dbco_api_operations_started_total', 'Operations this API started, by type');
    this.completed = operations(
      'dbco_api_operations_completed_total',
      'Operations seen succeeded when polled through this API, by type',
    );
    this.failed = operations(
      'dbco_api_operations_failed_total',
      'Operations seen failed, cancelled, terminated or timed out when polled through this API, by type',
    );
  }

  request(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
  }

  operationStarted(type: string): void {
    this.started.inc({ type });
  }

  /** Counts a finished operation the first time this process sees it finished. */
  operationObserved(operationId: string, type: string, state: OperationState): void {
    if (state === 'running' || this.seenFinished.has(operationId)) return;
    this.seenFinished.add(operationId);
    if (this.seenFinished.size > REMEMBERED_OPERATIONS) {
      this.seenFinished.delete(this.seenFinished.values().next().value as string);
    }
    (state === 'succeeded' ? this.completed : this.failed).inc({ type });
  }
}

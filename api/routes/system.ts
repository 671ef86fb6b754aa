/** `/healthz` (Temporal reachable?), `/metrics` (Prometheus, needs a token) and `/openapi.json`. */
import { TemporalUnavailableError, toApiError } from '../errors';
import { defineRoute, type AnyRoute } from '../route-kit';
import { Health } from '../response-schemas';
import type { RouteContext } from './context';

export function systemRoutes(context: RouteContext, openApi: () => object): AnyRoute[] {
  const { gateway, metrics } = context;
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      operationId: 'health',
      tag: 'system',
      summary: 'Health: 200 when Temporal answers, 503 when it does not',
      public: true,
      responses: { 200: { description: 'healthy', schema: Health } },
      problems: [503],
      handler: async () => {
        try {
          const info = await gateway.systemInfo();
          return {
            status: 200,
            headers: { 'Cache-Control': 'no-store' },
            body: { status: 'ok', temporal: { ...(info.serverVersion ? { serverVersion: info.serverVersion } : {}) } },
          };
        } catch (err) {
          const cause = toApiError(err, { bodyLimit: '' });
          throw new TemporalUnavailableError(`Temporal does not answer: ${cause.detail}`);
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      operationId: 'metrics',
      tag: 'system',
      summary: 'Prometheus metrics: requests by route and status, operations started/completed/failed by type',
      responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } },
      problems: [],
      handler: async () => ({
        status: 200,
        text: { contentType: metrics.registry.contentType, content: await metrics.registry.metrics() },
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      operationId: 'openApiDocument',
      tag: 'system',
      summary: 'This API as an OpenAPI 3.1 document',
      public: true,
      responses: { 200: { description: 'the OpenAPI document', contentType: 'application/json' } },
      problems: [],
      handler: async () => ({ status: 200, body: openApi() }),
    }),
  ];
}

/**
 * The OpenAPI document made from the route declarations is a valid OpenAPI 3.1 document, and it
 * describes every route with its parameters, body and problem answers.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { apiRoutes } from './app';
import { ClusterGateway } from './cluster-gateway';
import { ApiMetrics } from './metrics';
import { buildOpenApiDocument } from './openapi';

// Never dialled: building the document does not call Temporal.
const connection = Connection.lazy({ address: '127.0.0.1:1' });
const context = {
  gateway: new ClusterGateway(new Client({ connection }), 'unused', 1_000),
  metrics: new ApiMetrics(new Registry()),
  logger: pino({ level: 'silent' }),
};
const routes = apiRoutes(context, () => ({}));
const document = buildOpenApiDocument(routes, { title: 'test', version: '0' }) as {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
};

afterAll(() => connection.close());

describe('the OpenAPI document', () => {
  it('validates against the OpenAPI 3.1 schema', async () => {
    const result = await new Validator().validate(document as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
  });

  it('has every route once, with a unique operationId and its path parameters', () => {
    const ids = routes.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const route of routes) {
      const operation = document.paths[route.path]?.[route.method];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      const declared = ((operation.parameters ?? []) as { name: string; in: string }[])
        .filter((p) => p.in === 'path')
        .map((p) => p.name)
        .sort();
      const inPath = [...route.path.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => m[1]).sort();
      expect(declared, route.path).toEqual(inPath);
    }
  });

  it('documents request bodies, 202 operations and problem answers', () => {
    const create = document.paths['/v1/clusters'].post as {
      requestBody: { content: Record<string, { schema: unknown; example: unknown }> };
      responses: Record<string, { content?: Record<string, unknown> }>;
    };
    expect(create.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/CreateClusterRequest',
    });
    expect(create.responses['202'].content).toHaveProperty('application/json');
    for (const status of ['400', '401', '403', '409', '413', '415', '422']) {
      expect(create.responses[status].content, status).toHaveProperty('application/problem+json');
    }
    // Reads need no admin token, except the admin-only ones (403 for read tokens).
    const credentials = document.paths['/v1/clusters/{name}/credentials'].get as {
      responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
    };
    expect(credentials.responses['200'].content?.['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ConnectionInfo',
    });
    for (const status of ['401', '403', '404', '409', '504'])
      expect(credentials.responses, status).toHaveProperty(status);
    expect(document.paths['/v1/clusters/{name}'].get.responses).not.toHaveProperty('403');
    // Public routes opt out of the bearer requirement.
    expect(document.paths['/healthz'].get.security).toEqual([]);
    expect(document.paths['/metrics'].get.security).toBeUndefined();
  });
});

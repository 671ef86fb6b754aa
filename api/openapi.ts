/**
 * The OpenAPI 3.1 document, generated from the route declarations and the zod schemas (zod 4's
 * JSON Schema output is draft 2020-12, the dialect OpenAPI 3.1 uses). Named schemas become
 * `#/components/schemas/<id>`; problems are `application/problem+json`.
 */
import { z } from 'zod';
import type { AnyRoute, ResponseDoc } from './route-kit';
import { components } from './schemas';
import { Problem } from './response-schemas';

/** Problems any authenticated route may answer, besides the ones it declares. */
const COMMON_PROBLEMS: Record<number, string> = {
  400: 'invalid input (each wrong field is named) or malformed JSON',
  401: 'no token, or not a valid one',
  403: 'a read token asked for a change, or for an admin-only route',
  404: 'the cluster, node, backup, schedule, migration or operation does not exist',
  409: 'the cluster is busy with another operation, the name is taken, or the cluster has no endpoint yet',
  413: 'the body is too large',
  415: 'the body is not JSON',
  422: 'a precondition failed (unhealthy node, termination protection on, …)',
  502: 'the workflow failed the request for another reason',
  503: 'Temporal cannot be reached',
  504: 'Temporal or the worker did not answer in time',
};

type JsonSchema = Record<string, unknown>;

const REF_PREFIX = '#/components/schemas/';

function componentSchemas(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(components, { uri: (id) => `${REF_PREFIX}${id}`, unrepresentable: 'any' });
  const result: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _dialect, $id: _id, ...rest } = schema as JsonSchema;
    result[id] = rest;
  }
  return result;
}

/** A schema inline, with named parts referenced; or a `$ref` when it is itself named. */
function schemaOf(schema: z.ZodType): JsonSchema {
  const id = components.get(schema)?.id;
  if (id) return { $ref: `${REF_PREFIX}${id}` };
  const json = z.toJSONSchema(schema, {
    unrepresentable: 'any',
    override: (ctx) => {
      const named = components.get(ctx.zodSchema as unknown as z.ZodType)?.id;
      if (named && ctx.path.length > 0) {
        for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as JsonSchema)[key];
        (ctx.jsonSchema as JsonSchema).$ref = `${REF_PREFIX}${named}`;
      }
    },
  }) as JsonSchema;
  const { $schema: _dialect, $defs, ...rest } = json;
  if ($defs && Object.keys($defs).length > 0)
    throw new Error('inline schemas must not need $defs; name the shared part');
  return rest;
}

function parametersOf(where: 'path' | 'query', schema: z.ZodType | undefined): JsonSchema[] {
  if (!schema) return [];
  const json = schemaOf(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

function responseOf(doc: ResponseDoc): JsonSchema {
  if (!doc.schema && !doc.contentType) return { description: doc.description };
  const contentType = doc.contentType ?? 'application/json';
  return {
    description: doc.description,
    content: { [contentType]: { schema: doc.schema ? schemaOf(doc.schema) : { type: 'string' } } },
  };
}

function operationOf(route: AnyRoute): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, doc] of Object.entries(route.responses)) responses[status] = responseOf(doc);
  const problemStatuses = new Set(route.problems);
  if (!route.public) [400, 401].forEach((s) => problemStatuses.add(s));
  if (!route.public && (route.method !== 'get' || route.adminOnly)) problemStatuses.add(403);
  if (route.body) [413, 415].forEach((s) => problemStatuses.add(s));
  if (!route.public) problemStatuses.add(503);
  for (const status of [...problemStatuses].sort()) {
    responses[String(status)] = {
      description: COMMON_PROBLEMS[status] ?? 'problem',
      content: { 'application/problem+json': { schema: schemaOf(Problem) } },
    };
  }
  const parameters = [...parametersOf('path', route.params), ...parametersOf('query', route.query)];
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    ...(route.public ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(route.body && route.method !== 'get'
      ? {
          requestBody: {
            required: !route.bodyOptional,
            content: {
              'application/json': {
                schema: schemaOf(route.body),
                ...(route.example !== undefined ? { example: route.example } : {}),
              },
            },
          },
        }
      : {}),
    responses,
  };
}

export function buildOpenApiDocument(routes: AnyRoute[], info: { title: string; version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    paths[route.path][route.method] = operationOf(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description:
        'Managed database clusters on Temporal. Long operations answer 202 with an operation to poll; errors are RFC 9457 problem documents. Authenticate with `Authorization: Bearer <token>`; read tokens may only GET, and not the admin-only routes (cluster credentials).',
    },
    servers: [{ url: '/' }],
    security: [{ bearerAuth: [] }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: componentSchemas(),
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'an API token (API_TOKENS)' } },
    },
  };
}

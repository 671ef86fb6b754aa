/**
 * Temporal's HTTP API routes, read from the `google.api.http` annotations of the services in
 * `@temporalio/proto`'s descriptors: every binding under `/api/v1/` becomes a route to its gRPC
 * method. Nothing here is written by hand, so a method the proto gains is routed on the next upgrade.
 */
import type { Method, Service, Type } from 'protobufjs';
import { root } from '../proto';

export const HTTP_SERVICES = [
  'temporal.api.workflowservice.v1.WorkflowService',
  'temporal.api.operatorservice.v1.OperatorService',
] as const;

const PREFIX = '/api/v1/';
const VERBS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** One path segment: a literal, or a variable bound to a (dotted) request field. */
type Segment = { literal: string } | { field: string };

export interface HttpRoute {
  httpMethod: string;
  /** The template as annotated, e.g. `/api/v1/namespaces/{namespace}/workflows/{execution.workflow_id}`. */
  template: string;
  segments: Segment[];
  service: string;
  method: string;
  requestType: Type;
  responseType: Type;
  /** `*`: the whole request body is the request message (every Temporal binding is). */
  body?: string;
}

interface HttpRule {
  body?: string;
  additional_bindings?: HttpRule | HttpRule[];
  [verb: string]: unknown;
}

function bindings(rule: HttpRule): HttpRule[] {
  const extra = rule.additional_bindings;
  const nested = extra === undefined ? [] : Array.isArray(extra) ? extra : [extra];
  return [rule, ...nested.flatMap(bindings)];
}

function httpRule(method: Method): HttpRule | undefined {
  for (const option of method.parsedOptions ?? []) {
    const rule = (option as Record<string, unknown>)['(google.api.http)'];
    if (rule) return rule as HttpRule;
  }
  return undefined;
}

function parseTemplate(template: string): Segment[] {
  return template
    .slice(1)
    .split('/')
    .map((part) => {
      const variable = /^\{([A-Za-z0-9_.]+)\}$/.exec(part);
      if (variable) return { field: variable[1] };
      if (part.includes('{')) throw new Error(`unsupported path template segment ${part} in ${template}`);
      return { literal: part };
    });
}

let cached: HttpRoute[] | undefined;

/** Every `/api/v1/` binding of the HTTP services, most specific first (more literal segments win). */
export function httpRoutes(): HttpRoute[] {
  if (cached) return cached;
  const routes: HttpRoute[] = [];
  for (const serviceName of HTTP_SERVICES) {
    const service = root.lookup(serviceName) as Service;
    for (const method of service.methodsArray) {
      const rule = httpRule(method);
      if (!rule) continue;
      method.resolve();
      for (const binding of bindings(rule)) {
        for (const verb of VERBS) {
          const template = binding[verb];
          if (typeof template !== 'string' || !template.startsWith(PREFIX)) continue;
          routes.push({
            httpMethod: verb.toUpperCase(),
            template,
            segments: parseTemplate(template),
            service: serviceName,
            method: method.name,
            requestType: method.resolvedRequestType!,
            responseType: method.resolvedResponseType!,
            body: binding.body,
          });
        }
      }
    }
  }
  const literals = (route: HttpRoute) => route.segments.filter((s) => 'literal' in s).length;
  routes.sort((a, b) => literals(b) - literals(a));
  cached = routes;
  return routes;
}

export interface RouteMatch {
  route: HttpRoute;
  /** Request field path → decoded path segment. */
  params: Record<string, string>;
}

/**
 * The route for a request path (already split at `/`, each segment still percent-encoded, so an
 * encoded `/` inside a workflow id stays inside its segment). `allowed` lists the methods of routes
 * matching the path with another HTTP method (for 405).
 */
export function matchRoute(httpMethod: string, pathname: string): { match?: RouteMatch; allowed: string[] } {
  const parts = pathname.slice(1).split('/');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  const allowed = new Set<string>();
  for (const route of httpRoutes()) {
    const params = matchSegments(route.segments, parts);
    if (!params) continue;
    if (route.httpMethod === httpMethod) return { match: { route, params }, allowed: [] };
    allowed.add(route.httpMethod);
  }
  return { allowed: [...allowed] };
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if ('literal' in segment) {
      if (segment.literal !== parts[i]) return undefined;
      continue;
    }
    if (parts[i] === '') return undefined;
    let value: string;
    try {
      value = decodeURIComponent(parts[i]);
    } catch {
      return undefined;
    }
    params[segment.field] = value;
  }
  return params;
}

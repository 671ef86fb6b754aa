/**
 * Routes declared once: method, path, schemas of what comes in and goes out, and the handler.
 * The same declaration validates requests (here), documents them (`openapi.ts`) and drives the
 * fuzz test (every route gets malformed input).
 */
import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { principalOf } from './auth';
import { RequestValidationError, type FieldError } from './errors';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Reply {
  status: number;
  /** JSON body (absent: no body). */
  body?: unknown;
  /** A non-JSON body, with its content type. */
  text?: { contentType: string; content: string };
  headers?: Record<string, string>;
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The token's name, recorded as the actor (`anonymous` on public routes). */
  actor: string;
  req: Request;
}

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
}

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: Method;
  /** OpenAPI form: `/v1/clusters/{name}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Public routes need no token. */
  public?: boolean;
  /**
   * Admin tokens only, even though it only reads (what it reads is a secret). Routes that change
   * something need an admin token anyway (`requireToken`).
   */
  adminOnly?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  /** The body may be left out entirely (it then counts as `{}`). */
  bodyOptional?: boolean;
  /** A valid body: shown in the document, and the starting point of the fuzz test's mutations. */
  example?: z.input<B>;
  responses: Record<number, ResponseDoc>;
  /** Problem statuses this route answers besides the ones every route may (400, 401, 403, 413, 415). */
  problems: number[];
  handler(input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>): Promise<Reply>;
}

/** A route with its types erased, for mounting and documenting. */
export type AnyRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

const NoInput = z.strictObject({});
type NoInput = typeof NoInput;

export function defineRoute<
  P extends z.ZodType = NoInput,
  Q extends z.ZodType = NoInput,
  B extends z.ZodType = NoInput,
>(spec: RouteSpec<P, Q, B>): AnyRoute {
  return spec as unknown as AnyRoute;
}

/** `/v1/clusters/{name}` → `/v1/clusters/:name`. */
export const expressPath = (path: string) => path.replace(/\{([A-Za-z]+)\}/g, ':$1');

/** Each issue named by where it is (`body.plan.cpu`) and what is wrong; never the value (it may be a password). */
export function fieldErrors(location: string, error: z.ZodError): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    const at = [location, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        errors.push({ field: `${at}.${key}`, message: 'unknown field; remove it (see /openapi.json)' });
      }
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      errors.push({ field: at, message: `required (${issue.expected})` });
    } else {
      errors.push({ field: at, message: issue.message });
    }
  }
  return errors;
}

function parsePart<T extends z.ZodType>(location: string, schema: T | undefined, value: unknown): z.output<T> {
  const result = (schema ?? NoInput).safeParse(value);
  if (!result.success) throw new RequestValidationError(fieldErrors(location, result.error));
  return result.data as z.output<T>;
}

/** A body is absent when nothing was sent (express.json leaves `req.body` undefined). */
function bodyOf(route: AnyRoute, req: Request): unknown {
  if (req.body !== undefined) return req.body;
  if (route.body === undefined || route.bodyOptional) return {};
  return undefined;
}

export function toHandler(route: AnyRoute): RequestHandler {
  return async (req: Request, res: Response) => {
    const params = parsePart('path', route.params, { ...req.params });
    const query = parsePart('query', route.query, { ...(req.query as object) });
    const body = route.method === 'get' ? {} : parsePart('body', route.body, bodyOf(route, req));
    const actor = route.public ? 'anonymous' : principalOf(res).name;
    const reply = await route.handler({ params, query, body, actor, req });
    for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
    res.status(reply.status);
    if (reply.text) res.type(reply.text.contentType).send(reply.text.content);
    else if (reply.body !== undefined) res.json(reply.body);
    else res.end();
  };
}

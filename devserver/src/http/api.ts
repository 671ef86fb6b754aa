/**
 * Temporal's HTTP API over the devserver's own handlers: a request on a route of `routes.ts` is
 * turned into the gRPC request message (`request.ts`), handed to the same handler the gRPC service
 * calls, and its response written in proto3 JSON (`proto-json.ts`). Errors are `google.rpc.Status`
 * in JSON with the HTTP status grpc-gateway gives their code, as the UI server answers them.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ServiceError } from '../errors';
import type { CallContext, Handler, ServiceHooks } from '../grpc';
import { lookupType } from '../proto';
import { JsonMappingError, messageToJson } from './proto-json';
import { buildRequest } from './request';
import { matchRoute, type HttpRoute } from './routes';

/** The handler maps of the gRPC services, by full service name. */
export type ServiceHandlers = Record<string, Record<string, Handler>>;

/** What a request asks for, for the embedder's authorization hook. */
export interface ApiAccess {
  /** gRPC method name, e.g. `ListWorkflowExecutions`. */
  method: string;
  /** True when the call changes something (everything but reads and queries). */
  write: boolean;
}

export type AccessDecision = { allow: true } | { allow: false; status: 401 | 403; message: string };
export type AuthorizeHook = (req: IncomingMessage, access: ApiAccess) => AccessDecision | Promise<AccessDecision>;

/** Calls that only read, whatever their HTTP method (a query runs no workflow code that changes state). */
const READ_ONLY_METHODS = new Set(['QueryWorkflow']);
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** How long a long poll (history with waitNewEvent) may hold an HTTP request. */
const REQUEST_DEADLINE_MS = 20_000;

/** grpc-gateway's HTTP status for each gRPC code. */
const HTTP_STATUS: Record<number, number> = {
  [GrpcStatus.OK]: 200,
  [GrpcStatus.CANCELLED]: 499,
  [GrpcStatus.UNKNOWN]: 500,
  [GrpcStatus.INVALID_ARGUMENT]: 400,
  [GrpcStatus.DEADLINE_EXCEEDED]: 504,
  [GrpcStatus.NOT_FOUND]: 404,
  [GrpcStatus.ALREADY_EXISTS]: 409,
  [GrpcStatus.PERMISSION_DENIED]: 403,
  [GrpcStatus.UNAUTHENTICATED]: 401,
  [GrpcStatus.RESOURCE_EXHAUSTED]: 429,
  [GrpcStatus.FAILED_PRECONDITION]: 400,
  [GrpcStatus.ABORTED]: 409,
  [GrpcStatus.OUT_OF_RANGE]: 400,
  // grpc-gateway answers 501; a method this devserver lacks is "not here", not a server fault.
  [GrpcStatus.UNIMPLEMENTED]: 404,
  [GrpcStatus.INTERNAL]: 500,
  [GrpcStatus.UNAVAILABLE]: 503,
  [GrpcStatus.DATA_LOSS]: 500,
};

export interface ApiOptions {
  handlers: ServiceHandlers;
  hooks?: ServiceHooks;
  authorize?: AuthorizeHook;
}

/** Answers a request under `/api/v1/` (other than the UI server's own settings). */
export async function serveApi(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  options: ApiOptions,
): Promise<void> {
  const { match, allowed } = matchRoute(req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET'), url.pathname);
  if (!match) {
    if (allowed.length > 0) {
      res.setHeader('Allow', allowed.join(', '));
      return sendStatus(res, 405, GrpcStatus.UNIMPLEMENTED, `${req.method} is not allowed on ${url.pathname}`);
    }
    return sendStatus(res, 404, GrpcStatus.NOT_FOUND, `Not Found: no HTTP API route ${url.pathname}`);
  }
  const { route } = match;
  if (options.authorize) {
    const write = route.httpMethod !== 'GET' && !READ_ONLY_METHODS.has(route.method);
    const decision = await options.authorize(req, { method: route.method, write });
    if (!decision.allow) {
      const code = decision.status === 401 ? GrpcStatus.UNAUTHENTICATED : GrpcStatus.PERMISSION_DENIED;
      return sendStatus(res, decision.status, code, decision.message);
    }
  }
  let request: object;
  try {
    const body = route.httpMethod === 'GET' || route.httpMethod === 'DELETE' ? undefined : await readJson(req);
    request = buildRequest(match, url.searchParams, body);
  } catch (err) {
    if (err instanceof JsonMappingError || err instanceof BadBodyError) {
      return sendStatus(res, err instanceof BadBodyError ? err.status : 400, GrpcStatus.INVALID_ARGUMENT, err.message);
    }
    throw err;
  }
  const handler = options.handlers[route.service]?.[route.method];
  if (!handler) {
    return sendStatus(
      res,
      404,
      GrpcStatus.UNIMPLEMENTED,
      `${route.method} is not available on this devserver (${route.service})`,
    );
  }
  await invoke(route, handler, request, res, options.hooks ?? {});
}

async function invoke(
  route: HttpRoute,
  handler: Handler,
  request: object,
  res: ServerResponse,
  hooks: ServiceHooks,
): Promise<void> {
  const deadline = Date.now() + REQUEST_DEADLINE_MS;
  const cancelHooks: (() => void)[] = [];
  let gone = false;
  res.on('close', () => {
    if (res.writableFinished) return;
    gone = true;
    for (const hook of cancelHooks) hook();
  });
  const context: CallContext = {
    remainingMs: () => deadline - Date.now(),
    onCancel: (hook) => (gone ? hook() : cancelHooks.push(hook)),
  };
  try {
    const response = await handler(request, context);
    await hooks.beforeRespond?.();
    sendJson(res, 200, messageToJson(route.responseType, response as Record<string, unknown>));
  } catch (err) {
    if (err instanceof ServiceError) return sendServiceError(res, err);
    hooks.log?.(`${route.method} (HTTP) failed`, { error: err instanceof Error ? err.stack : String(err) });
    sendStatus(res, 500, GrpcStatus.INTERNAL, err instanceof Error ? err.message : String(err));
  }
}

function sendServiceError(res: ServerResponse, err: ServiceError): void {
  const details = err.detail
    ? [
        {
          '@type': `type.googleapis.com/${err.detail.typeName}`,
          ...(messageToJson(lookupType(err.detail.typeName), err.detail.value as Record<string, unknown>) as object),
        },
      ]
    : [];
  sendJson(res, HTTP_STATUS[err.code] ?? 500, { code: err.code, message: err.message, details });
}

export function sendStatus(res: ServerResponse, httpStatus: number, code: number, message: string): void {
  sendJson(res, httpStatus, { code, message, details: [] });
}

export function sendJson(res: ServerResponse, httpStatus: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(httpStatus, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

class BadBodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadBodyError(413, `the request body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadBodyError(400, `the request body is not JSON: ${(err as Error).message}`);
  }
}

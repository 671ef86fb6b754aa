/**
 * The HTTP API: `createApp(deps)` returns the Express app (`api/main.ts` listens with it).
 *
 * Order of handling: metrics and logging wrap everything; public routes (`/healthz`, `/openapi.json`)
 * need no token; every other route needs a bearer token (401), and an admin token unless it only
 * reads and is not admin-only (403), before its body is even parsed; then the body (JSON only, 415; at most 64 KB, 413),
 * then the route's schemas (400), then the handler. Every error becomes a problem document in
 * `api/errors.ts`.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { Registry } from 'prom-client';
import { requireToken, TokenVerifier } from './auth';
import { ClusterGateway } from './cluster-gateway';
import type { ApiDeps } from './deps';
import {
  MethodNotAllowedError,
  problemOf,
  ResourceNotFoundError,
  toApiError,
  UnsupportedMediaTypeError,
} from './errors';
import { ApiMetrics } from './metrics';
import { buildOpenApiDocument } from './openapi';
import { expressPath, toHandler, type AnyRoute } from './route-kit';
import { backupRoutes } from './routes/backups';
import { clusterRoutes } from './routes/clusters';
import type { RouteContext } from './routes/context';
import { migrationRoutes } from './routes/migrations';
import { nodeRoutes } from './routes/nodes';
import { operationRoutes } from './routes/operations';
import { systemRoutes } from './routes/system';

export type { ApiDeps, AuditLogReader } from './deps';
export { parseApiTokens, type AuthConfig, type ApiToken, type Role } from './auth';

export const BODY_LIMIT = '64kb';
const DEFAULT_TEMPORAL_TIMEOUT_MS = 30_000;
export const API_VERSION = '1.0.0';

/** Every route of the API (also what the OpenAPI document and the fuzz test are made from). */
export function apiRoutes(context: RouteContext, openApi: () => object): AnyRoute[] {
  return [
    ...systemRoutes(context, openApi),
    ...clusterRoutes(context),
    ...nodeRoutes(context),
    ...backupRoutes(context),
    ...migrationRoutes(context),
    ...operationRoutes(context),
  ];
}

export function createApp(deps: ApiDeps): express.Express {
  const metrics = new ApiMetrics(deps.metrics ?? new Registry());
  const gateway = new ClusterGateway(
    deps.client,
    deps.taskQueue,
    deps.temporalTimeoutMs ?? DEFAULT_TEMPORAL_TIMEOUT_MS,
  );
  const context: RouteContext = {
    gateway,
    metrics,
    logger: deps.logger,
    ...(deps.auditLog ? { auditLog: deps.auditLog } : {}),
  };
  let document: object | undefined;
  const routes: AnyRoute[] = apiRoutes(context, () => (document ??= buildOpenApiDocument(routes, openApiInfo)));
  const verifier = new TokenVerifier(deps.auth);
  const authenticate = requireToken(verifier);
  const authenticateAdmin = requireToken(verifier, { adminOnly: true });
  const parseJson = express.json({ limit: BODY_LIMIT, type: ['application/json', 'application/*+json'] });

  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(observe(deps, metrics));
  if (deps.webUi) {
    const gate = deps.webUi;
    // Before the API's own token check: these answer browsers too (sign-in page, cookie sessions, CORS).
    app.use(['/signin', '/auth', '/codec'], (req, res, next) => {
      gate
        .handleAuthAndCodec(req, res, new URL(req.originalUrl, 'http://api.invalid'))
        .then((handled) => (handled ? undefined : next()), next);
    });
  }

  for (const route of routes) {
    const stages = route.public ? [] : [route.adminOnly ? authenticateAdmin : authenticate, requireJsonBody, parseJson];
    app[route.method](expressPath(route.path), ...stages, toHandler(route));
  }
  app.use(authenticateUnknown(routes, authenticate));
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const problem = toApiError(error, { bodyLimit: BODY_LIMIT });
    if (problem.status >= 500) deps.logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
    res
      .status(problem.status)
      .type('application/problem+json')
      .send(JSON.stringify(problemOf(problem, req.path)));
  });
  return app;
}

const openApiInfo = { title: 'dbcluster-orchestrator API', version: API_VERSION };

/** A request that carries a body must say it is JSON. */
function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  // An empty body (Content-Length: 0, as clients send for a bare POST) needs no type.
  const empty = req.headers['content-length'] === '0' && req.headers['transfer-encoding'] === undefined;
  if (!empty && req.is(['application/json', 'application/*+json']) === false) throw new UnsupportedMediaTypeError();
  next();
}

/**
 * Unknown paths and methods: a token is still required (so the API's shape is not open to probing),
 * then 405 when the path exists with other methods, else 404.
 */
function authenticateUnknown(routes: AnyRoute[], authenticate: express.RequestHandler): express.RequestHandler {
  const matchers = routes.map((route) => ({
    route,
    pattern: new RegExp(`^${route.path.replace(/\{[A-Za-z]+\}/g, '[^/]+')}/?$`),
  }));
  return (req, res, next) => {
    const matching = matchers.filter((m) => m.pattern.test(req.path));
    const isPublic = matching.length > 0 && matching.every((m) => m.route.public);
    const answer = () => {
      if (matching.length > 0) {
        const allowed = [...new Set(matching.map((m) => m.route.method.toUpperCase()))];
        if (allowed.includes('GET')) allowed.push('HEAD');
        next(new MethodNotAllowedError(req.method, req.path, allowed));
      } else {
        next(new ResourceNotFoundError(`there is no ${req.path}; the API's routes are listed in /openapi.json`));
      }
    };
    if (isPublic) return answer();
    authenticate(req, res, answer);
  };
}

/** Counts and times every request by route template, and logs it (never its body). */
function observe(deps: ApiDeps, metrics: ApiMetrics): express.RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      metrics.request(req.method, route, res.statusCode, seconds);
      const actor = (res.locals.principal as { name?: string } | undefined)?.name;
      const fields = { method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000), actor };
      // Changes and refusals are worth a line at info; successful reads only when debugging.
      if (req.method !== 'GET' || res.statusCode >= 400) deps.logger.info(fields, 'request');
      else deps.logger.debug(fields, 'request');
    });
    next();
  };
}

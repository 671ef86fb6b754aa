/**
 * The devserver's UI port, as the Temporal CLI's dev server has one: Temporal's HTTP API under
 * `/api/v1/` (`api.ts`), the UI server's own `/api/v1/settings`, and the Web UI built into
 * `webui/build` (any other path that is not a file answers the UI's `index.html`, so the UI's own
 * routes load). The embedder decides who may do what (`authorize`) and may answer requests itself
 * first (`intercept`: a sign-in page, a codec endpoint).
 */
import { createReadStream, existsSync, promises as fs } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ServiceHooks } from '../grpc';
import { serveApi, sendJson, sendStatus, type AuthorizeHook, type ServiceHandlers } from './api';

/** The version of the Temporal UI the site in `webui/` is built from (the UI reads it from settings). */
export const UI_VERSION = '2.38.0';

/** The UI server's `/api/v1/settings` fields this server fills in (the UI reads them at start). */
export interface UiSettings {
  DefaultNamespace: string;
  Codec?: { Endpoint: string; PassAccessToken?: boolean; IncludeCredentials?: boolean };
  DisableWriteActions?: boolean;
  BannerText?: string;
}

export interface UiServerOptions {
  host: string;
  port: number;
  /** The built site; absent or missing: the API still answers and pages say how to build it. */
  siteDir?: string;
  authorize?: AuthorizeHook;
  /** Answers a request before anything else; resolves true when it did. */
  intercept?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;
  /** Settings for this request (they may depend on who asks). */
  settings: (req: IncomingMessage) => UiSettings | Promise<UiSettings>;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
};

/** `webui/build` of the project this file belongs to (from the sources or from `dist/`). */
export function defaultSiteDir(): string | undefined {
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'webui', 'package.json'))) return path.join(dir, 'webui', 'build');
  }
  return undefined;
}

export class UiServer {
  private readonly server: http.Server;

  constructor(
    private readonly options: UiServerOptions,
    private readonly api: { handlers: ServiceHandlers; hooks: ServiceHooks },
  ) {
    this.server = http.createServer((req, res) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
      this.handle(req, res).catch((err: unknown) => {
        options.log?.('UI server request failed', { error: err instanceof Error ? err.stack : String(err) });
        if (!res.headersSent) sendStatus(res, 500, 13, 'internal error');
        else res.destroy();
      });
    });
    this.server.headersTimeout = 10_000;
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://ui.invalid');
    if (this.options.intercept && (await this.options.intercept(req, res, url))) return;
    if (url.pathname === '/api/v1/settings') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendStatus(res, 405, 12, 'settings are read-only');
      return sendJson(res, 200, settingsResponse(await this.options.settings(req)));
    }
    if (url.pathname === '/api/v1' || url.pathname.startsWith('/api/v1/')) {
      return serveApi(req, res, url, { ...this.api, authorize: this.options.authorize });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendStatus(res, 405, 12, `${req.method} is not allowed on ${url.pathname}`);
    }
    await this.serveSite(req, res, url);
  }

  private async serveSite(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const siteDir = this.options.siteDir;
    if (!siteDir || !existsSync(path.join(siteDir, 'index.html'))) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('The Temporal Web UI is not built here: run `npm run setup` (it builds webui/), then reload.\n');
      return;
    }
    let file = path.join(siteDir, 'index.html');
    let relative: string;
    try {
      relative = decodeURIComponent(url.pathname);
    } catch {
      relative = '/';
    }
    const candidate = path.resolve(siteDir, `.${path.posix.normalize(relative)}`);
    if (candidate.startsWith(siteDir + path.sep)) {
      const stat = await fs.stat(candidate).catch(() => undefined);
      if (stat?.isFile()) file = candidate;
    }
    const immutable = file.includes(`${path.sep}_app${path.sep}immutable${path.sep}`);
    const stat = await fs.stat(file);
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Length': stat.size,
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  }
}

function settingsResponse(settings: UiSettings): object {
  return {
    Auth: { Enabled: false, Options: [] },
    BannerText: settings.BannerText ?? '',
    DefaultNamespace: settings.DefaultNamespace,
    ShowTemporalSystemNamespace: false,
    FeedbackURL: '',
    NotifyOnNewVersion: false,
    Codec: {
      Endpoint: settings.Codec?.Endpoint ?? '',
      PassAccessToken: settings.Codec?.PassAccessToken ?? false,
      IncludeCredentials: settings.Codec?.IncludeCredentials ?? false,
      DefaultErrorMessage: '',
      DefaultErrorLink: '',
    },
    Version: UI_VERSION,
    DisableWriteActions: settings.DisableWriteActions ?? false,
    WorkflowTerminateDisabled: false,
    WorkflowCancelDisabled: false,
    WorkflowSignalDisabled: false,
    WorkflowUpdateDisabled: false,
    WorkflowResetDisabled: false,
    // This site leaves out the start-workflow form (it pulls in Monaco) and the devserver runs no batch jobs.
    BatchActionsDisabled: true,
    StartWorkflowDisabled: true,
    HideWorkflowQueryErrors: false,
    RefreshWorkflowCountsDisabled: false,
  };
}

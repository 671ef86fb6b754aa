/**
 * Who may use the Web UI, its HTTP API and the codec endpoint: the product's API tokens, presented
 * as `Authorization: Bearer <token>` (scripts) or through a sign-in page that opens a cookie session
 * (browsers, `web-sessions.ts`). Read tokens may look at everything but payloads; changes and
 * decrypted payloads need an admin token.
 *
 * The gate plugs into the devserver's UI port (`authorize`, `intercept`, `settings`) and into the
 * API app (`handleAuthAndCodec`: sign-in and codec routes, for the UI of a real Temporal service,
 * whose origin `CODEC_CORS_ORIGIN` names).
 */
import type { PayloadCodec } from '@temporalio/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AccessDecision, ApiAccess } from '../devserver/src/http/api';
import type { UiSettings } from '../devserver/src/http/ui-server';
import type { Principal, TokenVerifier } from './auth';
import { CodecRequestError, handleCodecRequest } from './codec-endpoint';
import {
  clearedCookies,
  csrfMatches,
  readCookies,
  safeNext,
  sameOrigin,
  SESSION_COOKIE,
  sessionCookies,
  signInPage,
  type UiSession,
  UiSessions,
} from './web-sessions';

export interface WebUiGateOptions {
  verifier: TokenVerifier;
  codec: PayloadCodec;
  /** The Temporal namespace of the product (the UI's default, and the only one the codec serves). */
  namespace: string;
  /** The one browser origin besides our own allowed to call the codec endpoint (a real Temporal UI). */
  codecCorsOrigin?: string;
  sessions?: UiSessions;
  logger?: Logger;
}

type Caller =
  | { principal: Principal; via: 'bearer' }
  | { principal: Principal; via: 'cookie'; session: UiSession }
  | { invalid: string }
  | undefined;

const SIGN_IN_BODY_BYTES = 8 * 1024;
const PUBLIC_ASSET = /^\/(_app\/|favicon\.)/;

export class WebUiGate {
  readonly sessions: UiSessions;

  constructor(private readonly options: WebUiGateOptions) {
    this.sessions = options.sessions ?? new UiSessions();
  }

  /** The caller: a bearer token (which wins, and must be valid), else a live cookie session. */
  caller(req: IncomingMessage): Caller {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
      const principal = match ? this.options.verifier.identify(match[1]) : undefined;
      if (!principal) return { invalid: 'the Authorization header must be "Bearer <a valid API token>"' };
      return { principal, via: 'bearer' };
    }
    const session = this.sessions.find(readCookies(req)[SESSION_COOKIE]);
    return session ? { principal: session.principal, via: 'cookie', session } : undefined;
  }

  /** The devserver's hook for every `/api/v1/` call. */
  authorize = (req: IncomingMessage, access: ApiAccess): AccessDecision => {
    const caller = this.caller(req);
    if (caller === undefined) {
      return { allow: false, status: 401, message: 'sign in at /signin, or send "Authorization: Bearer <token>"' };
    }
    if ('invalid' in caller) return { allow: false, status: 401, message: caller.invalid };
    if (caller.via === 'cookie' && req.method !== 'GET' && req.method !== 'HEAD') {
      if (!sameOrigin(req) || !csrfMatches(req, caller.session)) {
        return { allow: false, status: 403, message: 'this request lacks the X-CSRF-TOKEN of your session' };
      }
    }
    if (access.write && caller.principal.role !== 'admin') {
      return {
        allow: false,
        status: 403,
        message: `token ${caller.principal.name} has the read role; ${access.method} needs an admin token`,
      };
    }
    return { allow: true };
  };

  /** The UI server's settings: decoding through our codec endpoint; read-only viewers see no write actions. */
  settings = (req: IncomingMessage): UiSettings => {
    const caller = this.caller(req);
    const admin = caller !== undefined && !('invalid' in caller) && caller.principal.role === 'admin';
    return {
      DefaultNamespace: this.options.namespace,
      // Only admins may decode; a reader's UI is not pointed at an endpoint that would refuse it (it
      // would show a connection error on every page), so it shows payloads as stored: encrypted.
      // The UI calls the endpoint on the origin it was loaded from, so the session cookie goes with it.
      ...(admin
        ? { Codec: { Endpoint: `http://${req.headers.host ?? '127.0.0.1'}/codec`, IncludeCredentials: true } }
        : {}),
      DisableWriteActions: !admin,
    };
  };

  /** The devserver's UI port: sign-in, codec, and a sign-in redirect for pages opened without a session. */
  intercept = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (await this.handleAuthAndCodec(req, res, url)) return true;
    if (url.pathname === '/api/v1/settings') {
      const caller = this.caller(req);
      if (caller === undefined || 'invalid' in caller) {
        sendJson(res, 401, { code: 16, message: 'sign in at /signin, or send "Authorization: Bearer <token>"' });
        return true;
      }
      return false;
    }
    const isPage = (req.method === 'GET' || req.method === 'HEAD') && !url.pathname.startsWith('/api/');
    if (isPage && !PUBLIC_ASSET.test(url.pathname)) {
      const caller = this.caller(req);
      if (caller === undefined || 'invalid' in caller) {
        redirect(res, `/signin?next=${encodeURIComponent(url.pathname + url.search)}`);
        return true;
      }
    }
    return false;
  };

  /** `/signin`, `/auth/signin`, `/auth/signout`, `/codec/decode`, `/codec/encode`; false for any other path. */
  async handleAuthAndCodec(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    if (path === '/signin' && (req.method === 'GET' || req.method === 'HEAD')) {
      sendHtml(res, 200, signInPage({ next: safeNext(url.searchParams.get('next')) }));
      return true;
    }
    if (path === '/auth/signin' && req.method === 'POST') {
      await this.signIn(req, res);
      return true;
    }
    if (path === '/auth/signout' && req.method === 'POST') {
      if (!sameOrigin(req)) return forbidden(res, 'sign out from this site only');
      this.sessions.close(readCookies(req)[SESSION_COOKIE]);
      res.setHeader('Set-Cookie', clearedCookies());
      redirect(res, '/signin');
      return true;
    }
    const codec = /^\/codec\/(decode|encode)$/.exec(path);
    if (codec) {
      await this.codecRequest(req, res, codec[1] as 'decode' | 'encode');
      return true;
    }
    if (path === '/signin' || path.startsWith('/auth/')) {
      sendJson(res, 405, { code: 12, message: `${req.method} is not allowed on ${path}` });
      return true;
    }
    return false;
  }

  private async signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A form posted from another site must not sign this browser in (login CSRF).
    if (!sameOrigin(req)) return void forbidden(res, 'sign in from this site only');
    let form: URLSearchParams;
    try {
      form = new URLSearchParams(await readSmallBody(req, SIGN_IN_BODY_BYTES));
    } catch {
      return void sendHtml(res, 413, signInPage({ next: '/', error: 'That request is too large.' }));
    }
    const next = safeNext(form.get('next'));
    const principal = this.options.verifier.identify((form.get('token') ?? '').trim());
    if (!principal) {
      this.options.logger?.info('Web UI sign-in refused: unknown token');
      return void sendHtml(res, 401, signInPage({ next, error: 'That token is not valid. Check it and try again.' }));
    }
    const { id, session } = this.sessions.open(principal);
    this.options.logger?.info({ actor: principal.name, role: principal.role }, 'Web UI sign-in');
    res.setHeader('Set-Cookie', sessionCookies(id, session));
    redirect(res, next);
  }

  private async codecRequest(req: IncomingMessage, res: ServerResponse, kind: 'decode' | 'encode'): Promise<void> {
    const origin = req.headers.origin;
    const corsOrigin = this.options.codecCorsOrigin;
    if (corsOrigin !== undefined && origin === corsOrigin) {
      res.setHeader('Access-Control-Allow-Origin', corsOrigin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      if (corsOrigin === undefined || origin !== corsOrigin) return void forbidden(res, 'origin not allowed');
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'POST',
        'Access-Control-Allow-Headers': 'Content-Type, X-Namespace, Authorization, Authorization-Extras',
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return void sendJson(res, 405, { message: 'the codec endpoint takes POST' });
    }
    if (!sameOrigin(req, corsOrigin)) return void forbidden(res, `origin ${origin} may not use this codec endpoint`);
    const caller = this.caller(req);
    if (caller === undefined || 'invalid' in caller) {
      return void sendJson(res, 401, { message: 'sign in (cookie) or send "Authorization: Bearer <admin token>"' });
    }
    if (caller.principal.role !== 'admin') {
      return void forbidden(
        res,
        `token ${caller.principal.name} has the read role; payloads are for admin tokens only`,
      );
    }
    try {
      await handleCodecRequest(req, res, kind, { codec: this.options.codec, namespace: this.options.namespace });
    } catch (err) {
      if (!(err instanceof CodecRequestError)) throw err;
      sendJson(res, err.status, { message: err.message });
    }
  }
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy':
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  });
  res.end(html);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { Location: location, 'Cache-Control': 'no-store' });
  res.end();
}

function forbidden(res: ServerResponse, message: string): true {
  sendJson(res, 403, { message });
  return true;
}

async function readSmallBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Browser sessions for the Web UI: a person signs in with an API token once and the browser keeps
 * an HttpOnly, SameSite=Strict cookie naming a server-side session, never the token itself. Signing
 * out ends the session on the server; sessions also end after `SESSION_TTL_MS`, and are lost when
 * the product restarts (sign in again).
 *
 * Writes made with the cookie also need the CSRF token: the `_csrf` cookie (readable by the page,
 * SameSite=Strict) whose value the Temporal UI copies into an `X-CSRF-TOKEN` header on every call.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Principal } from './auth';

export const SESSION_COOKIE = 'dbco_ui_session';
export const CSRF_COOKIE = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
/** The oldest session goes when more are open (a bound on memory, whatever a client does). */
const MAX_SESSIONS = 10_000;

export interface UiSession {
  principal: Principal;
  csrf: string;
  expiresAt: number;
}

const hash = (id: string) => createHash('sha256').update(id).digest('base64url');

export class UiSessions {
  // Keyed by a hash of the cookie value, so the map never holds a usable session id.
  private readonly sessions = new Map<string, UiSession>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new session; returns the cookie value and the session. */
  open(principal: Principal): { id: string; session: UiSession } {
    const id = randomBytes(32).toString('base64url');
    const session = { principal, csrf: randomBytes(24).toString('base64url'), expiresAt: this.now() + SESSION_TTL_MS };
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(hash(id), session);
    return { id, session };
  }

  find(id: string | undefined): UiSession | undefined {
    if (!id) return undefined;
    const key = hash(id);
    const session = this.sessions.get(key);
    if (session && session.expiresAt <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return session;
  }

  close(id: string | undefined): void {
    if (id) this.sessions.delete(hash(id));
  }
}

export function readCookies(req: IncomingMessage): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    // The first of a repeated name wins, as browsers send the most specific first.
    if (!(name in cookies)) cookies[name] = part.slice(eq + 1).trim();
  }
  return cookies;
}

export function sessionCookies(id: string, session: UiSession): string[] {
  const maxAge = Math.floor(SESSION_TTL_MS / 1000);
  return [
    `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}`,
    `${CSRF_COOKIE}=${session.csrf}; Path=/; SameSite=Strict; Max-Age=${maxAge}`,
  ];
}

export function clearedCookies(): string[] {
  return [
    `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`,
    `${CSRF_COOKIE}=; Path=/; SameSite=Strict; Max-Age=0`,
  ];
}

export function csrfMatches(req: IncomingMessage, session: UiSession): boolean {
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * False when a browser says the request comes from another origin than the one it is sent to (a
 * cross-site form or script). Requests without an `Origin` header (scripts, same-origin GETs) pass.
 */
export function sameOrigin(req: IncomingMessage, alsoAllowed?: string): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return origin === `http://${req.headers.host}` || origin === `https://${req.headers.host}` || origin === alsoAllowed;
}

/** A path to return to after signing in: only one on this site. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])/.test(next) ? next : '/';
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The sign-in page: one field for an API token. */
export function signInPage(options: { next: string; error?: string }): string {
  const error = options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · dbcluster-orchestrator</title>
<style>
body{font-family:system-ui,sans-serif;background:#f8fafc;color:#0f172a;display:flex;min-height:100vh;align-items:center;justify-content:center;margin:0}
main{background:#fff;border:1px solid #cbd5e1;border-radius:8px;padding:2rem;width:min(28rem,90vw)}
h1{font-size:1.25rem;margin:0 0 .5rem}p{line-height:1.4}label{display:block;font-weight:600;margin:1rem 0 .25rem}
input{width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #94a3b8;border-radius:4px}
button{margin-top:1rem;padding:.5rem 1rem;font:inherit;background:#1e293b;color:#fff;border:0;border-radius:4px;cursor:pointer}
.error{color:#b91c1c}code{background:#f1f5f9;padding:0 .25rem}
</style>
</head>
<body>
<main>
<h1>Temporal Web UI</h1>
<p>Sign in with an API token of this product (the generated admin token is in <code>.data/api-token</code>).
A read token may look; changes need an admin token.</p>
${error}
<form method="post" action="/auth/signin">
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="${escapeHtml(options.next)}">
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
`;
}

/**
 * The Web UI's gate, attacked as a browser on another site, a read-only viewer and a script would:
 * sign-in and its cookies, CSRF on writes, sign-out, session expiry, and the codec endpoint (admin
 * only, its protocol, CORS for one configured origin).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AesGcmPayloadCodec, codecKey, ENCRYPTED_ENCODING } from '../activities/codec';
import { TokenVerifier } from './auth';
import { WebUiGate } from './web-ui';
import { SESSION_TTL_MS, UiSessions } from './web-sessions';

const ADMIN = 'admin-token-0123456789abcdef';
const READER = 'read-token-0123456789abcdef';
const UI_ORIGIN = 'https://temporal-ui.example.com';
const codec = new AesGcmPayloadCodec([codecKey(randomBytes(32))]);
let gate: WebUiGate;
let server: http.Server;
let base: string;

beforeAll(async () => {
  gate = new WebUiGate({
    verifier: new TokenVerifier({
      tokens: [
        { name: 'ops', role: 'admin', token: ADMIN },
        { name: 'viewer', role: 'read', token: READER },
      ],
    }),
    codec,
    namespace: 'default',
    codecCorsOrigin: UI_ORIGIN,
  });
  // What the devserver's UI port does with the gate: intercept first, then authorize API calls.
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://ui.invalid');
    void gate.intercept(req, res, url).then((handled) => {
      if (handled) return;
      const decision = url.pathname.startsWith('/api/')
        ? gate.authorize(req, { method: 'TerminateWorkflowExecution', write: req.method !== 'GET' })
        : { allow: true };
      res.writeHead(decision.allow ? 200 : (decision as { status: number }).status);
      res.end(JSON.stringify(decision));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const send = (path: string, init: RequestInit = {}) => fetch(base + path, { redirect: 'manual', ...init });

async function signIn(token: string, headers: Record<string, string> = {}) {
  return send('/auth/signin', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base, ...headers },
    body: new URLSearchParams({ token, next: '/namespaces/default/workflows' }).toString(),
  });
}

/** Signs in and returns the cookie header a browser would send, and the CSRF token. */
async function browserSession(token: string): Promise<{ cookie: string; csrf: string }> {
  const answer = await signIn(token);
  expect(answer.status).toBe(303);
  const cookies = answer.headers.getSetCookie().map((c) => c.split(';')[0]);
  return { cookie: cookies.join('; '), csrf: cookies.find((c) => c.startsWith('_csrf='))!.slice('_csrf='.length) };
}

describe('signing in', () => {
  it('trades a valid token for an HttpOnly SameSite=Strict session cookie that is not the token', async () => {
    const answer = await signIn(ADMIN);
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/namespaces/default/workflows');
    const [session, csrf] = answer.headers.getSetCookie();
    expect(session).toMatch(/^dbco_ui_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800$/);
    expect(session).not.toContain(ADMIN);
    expect(csrf).toMatch(/^_csrf=[\w-]+; Path=\/; SameSite=Strict; Max-Age=28800$/);
  });

  it('refuses a wrong token, a form posted from another site, and a return path off the site', async () => {
    const wrong = await signIn('wrong-token-0123456789');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('That token is not valid');
    expect(wrong.headers.getSetCookie()).toEqual([]);
    const crossSite = await signIn(ADMIN, { origin: 'https://evil.example.com' });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.getSetCookie()).toEqual([]);
    const offSite = await send('/auth/signin', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ADMIN, next: '//evil.example.com/x' }).toString(),
    });
    expect(offSite.headers.get('location')).toBe('/');
  });

  it('sends pages without a session to the sign-in page, but not the static assets', async () => {
    const page = await send('/namespaces/default/workflows?query=x');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/signin?next=%2Fnamespaces%2Fdefault%2Fworkflows%3Fquery%3Dx');
    expect((await send('/_app/immutable/start.js')).status).toBe(200);
    const signInPage = await send('/signin?next=/x');
    expect(signInPage.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });
});

describe('calls of the HTTP API', () => {
  it('answer 401 without credentials or with a wrong token, and 403 when a read token writes', async () => {
    expect((await send('/api/v1/namespaces')).status).toBe(401);
    expect((await send('/api/v1/settings')).status).toBe(401);
    expect(
      (await send('/api/v1/namespaces', { headers: { authorization: 'Bearer nope-nope-nope-nope' } })).status,
    ).toBe(401);
    expect((await send('/api/v1/namespaces', { headers: { authorization: `Bearer ${READER}` } })).status).toBe(200);
    const write = await send('/api/v1/x/terminate', { method: 'POST', headers: { authorization: `Bearer ${READER}` } });
    expect(write.status).toBe(403);
    expect(((await write.json()) as { message: string }).message).toContain('needs an admin token');
  });

  it('take the cookie for reads, and for writes only with the CSRF token from the same origin', async () => {
    const { cookie, csrf } = await browserSession(ADMIN);
    expect((await send('/api/v1/namespaces', { headers: { cookie } })).status).toBe(200);
    expect((await send('/api/v1/x/terminate', { method: 'POST', headers: { cookie } })).status).toBe(403);
    const forged = { cookie, 'x-csrf-token': 'guessed', origin: base };
    expect((await send('/api/v1/x/terminate', { method: 'POST', headers: forged })).status).toBe(403);
    const crossSite = { cookie, 'x-csrf-token': csrf, origin: 'https://evil.example.com' };
    expect((await send('/api/v1/x/terminate', { method: 'POST', headers: crossSite })).status).toBe(403);
    const genuine = { cookie, 'x-csrf-token': csrf, origin: base };
    expect((await send('/api/v1/x/terminate', { method: 'POST', headers: genuine })).status).toBe(200);
  });

  it('end with sign-out: the old cookie no longer works', async () => {
    const { cookie } = await browserSession(READER);
    const out = await send('/auth/signout', { method: 'POST', headers: { cookie, origin: base } });
    expect(out.status).toBe(303);
    expect(out.headers.getSetCookie()[0]).toMatch(/^dbco_ui_session=; .*Max-Age=0/);
    expect((await send('/api/v1/namespaces', { headers: { cookie } })).status).toBe(401);
  });
});

describe('sessions', () => {
  it('expire after their time', () => {
    let now = 1_000;
    const sessions = new UiSessions(() => now);
    const { id } = sessions.open({ name: 'ops', role: 'admin' });
    expect(sessions.find(id)?.principal.name).toBe('ops');
    now += SESSION_TTL_MS;
    expect(sessions.find(id)).toBeUndefined();
    expect(sessions.find('made-up')).toBeUndefined();
  });
});

describe('the codec endpoint', () => {
  const plain = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"password":"s3cret"}') };
  const toJson = (p: { metadata?: Record<string, Uint8Array | null> | null; data?: Uint8Array | null }) => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
    ),
    data: Buffer.from(p.data!).toString('base64'),
  });
  const post = (kind: string, body: unknown, headers: Record<string, string>) =>
    send(`/codec/${kind}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('decrypts for an admin (bearer or session), and refuses readers and strangers', async () => {
    const [encrypted] = await codec.encode([plain]);
    const body = { payloads: [toJson(encrypted)] };
    const decoded = await post('decode', body, { authorization: `Bearer ${ADMIN}` });
    expect(decoded.status).toBe(200);
    expect(((await decoded.json()) as { payloads: unknown[] }).payloads).toEqual([toJson(plain)]);
    const { cookie } = await browserSession(ADMIN);
    expect((await post('decode', body, { cookie, origin: base })).status).toBe(200);

    expect((await post('decode', body, { authorization: `Bearer ${READER}` })).status).toBe(403);
    const reader = await browserSession(READER);
    expect((await post('decode', body, { cookie: reader.cookie })).status).toBe(403);
    expect((await post('decode', body, {})).status).toBe(401);
  });

  it('encodes what the UI sends (a signal from an admin) so the worker can read it', async () => {
    const answer = await post('encode', { payloads: [toJson(plain)] }, { authorization: `Bearer ${ADMIN}` });
    const [payload] = ((await answer.json()) as { payloads: { metadata: Record<string, string>; data: string }[] })
      .payloads;
    expect(Buffer.from(payload.metadata.encoding, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
    const [back] = await codec.decode([
      {
        metadata: {
          ...Object.fromEntries(
            Object.entries(payload.metadata as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
          ),
        },
        data: Buffer.from(payload.data, 'base64'),
      },
    ]);
    expect(Buffer.from(back.data!).toString()).toBe('{"password":"s3cret"}');
  });

  it('answers bad requests 4xx naming what is wrong', async () => {
    const admin = { authorization: `Bearer ${ADMIN}` };
    const cases: [unknown, Record<string, string>, number, RegExp][] = [
      ['{nope', admin, 400, /not JSON/],
      [{ payload: [] }, admin, 400, /\{"payloads": \[\.\.\.\]\}/],
      [{ payloads: [{ data: '@@@' }] }, admin, 400, /payloads\[0\]\.data is not base64/],
      [{ payloads: [] }, { ...admin, 'x-namespace': 'other' }, 400, /serves namespace default/],
      [
        { payloads: [{ metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING).toString('base64') }, data: 'AAAA' }] },
        admin,
        422,
        /which this process does not have/,
      ],
    ];
    for (const [body, headers, status, message] of cases) {
      const answer = await post('decode', body, headers);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(((await answer.json()) as { message: string }).message).toMatch(message);
    }
    expect((await send('/codec/decode', { method: 'POST', headers: admin, body: '{}' })).status).toBe(415);
  });

  it("lets the configured Temporal UI's origin call it with credentials, and no other origin", async () => {
    const preflight = await send('/codec/decode', {
      method: 'OPTIONS',
      headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await send('/codec/decode', { method: 'OPTIONS', headers: { origin: 'https://evil.example.com' } });
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const { cookie } = await browserSession(ADMIN);
    const crossSite = await post('decode', { payloads: [] }, { cookie, origin: 'https://evil.example.com' });
    expect(crossSite.status).toBe(403);
    const fromUi = await post('decode', { payloads: [] }, { cookie, origin: UI_ORIGIN });
    expect(fromUi.status).toBe(200);
    expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  });
});

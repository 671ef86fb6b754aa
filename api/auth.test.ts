/** Parsing `API_TOKENS` and identifying presented tokens (HTTP-level auth is in api.integration.test.ts). */
import { describe, expect, it } from 'vitest';
import { ApiTokenConfigError, parseApiTokens, TokenVerifier } from './auth';

const ADMIN_TOKEN = 'a'.repeat(8) + ':with:colons:' + 'z'.repeat(8);
const READ_TOKEN = 'r'.repeat(24);

describe('parseApiTokens', () => {
  it('reads name:role:token entries; the token is everything after the second colon', () => {
    expect(parseApiTokens(` ci:admin:${ADMIN_TOKEN} , grafana:read:${READ_TOKEN},`)).toEqual({
      tokens: [
        { name: 'ci', role: 'admin', token: ADMIN_TOKEN },
        { name: 'grafana', role: 'read', token: READ_TOKEN },
      ],
    });
  });

  it.each([
    ['no-colons', /must look like name:role:token/],
    [`bad name:read:${READ_TOKEN}`, /the name must be/],
    [`x:owner:${READ_TOKEN}`, /the role must be read or admin/],
    ['x:read:short-secret', /at least 16 characters/],
    [`x:read:${READ_TOKEN},x:admin:${ADMIN_TOKEN}`, /the name x is used twice/],
    [`x:read:${READ_TOKEN},y:admin:${READ_TOKEN}`, /the same token is configured twice/],
  ])('refuses %s, naming the problem but never the token', (value, message) => {
    let error: unknown;
    try {
      parseApiTokens(value);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiTokenConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(READ_TOKEN);
    expect((error as Error).message).not.toContain('short-secret');
  });
});

describe('TokenVerifier', () => {
  const verifier = new TokenVerifier(parseApiTokens(`ci:admin:${ADMIN_TOKEN},grafana:read:${READ_TOKEN}`));

  it('identifies each configured token by name and role', () => {
    expect(verifier.identify(ADMIN_TOKEN)).toEqual({ name: 'ci', role: 'admin' });
    expect(verifier.identify(READ_TOKEN)).toEqual({ name: 'grafana', role: 'read' });
  });

  it('knows no other token: prefixes, extensions, empty, other case', () => {
    for (const presented of ['', READ_TOKEN.slice(0, -1), `${READ_TOKEN}x`, READ_TOKEN.toUpperCase()]) {
      expect(verifier.identify(presented)).toBeUndefined();
    }
  });
});

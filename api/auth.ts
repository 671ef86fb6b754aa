/**
 * Bearer-token authentication. Tokens are configured as `name:role:token` (comma-separated, e.g.
 * the `API_TOKENS` environment variable); `read` tokens may only read, `admin` tokens may also
 * change things. The token's name is the actor recorded in audit entries.
 *
 * Presented tokens are compared in constant time: both sides are hashed to the same length and
 * compared with `crypto.timingSafeEqual`, against every configured token without stopping early.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AuthenticationError, PermissionError } from './errors';

export const ROLES = ['read', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiToken {
  /** Who is calling: recorded as the actor of what they do. */
  name: string;
  role: Role;
  token: string;
}

export interface AuthConfig {
  tokens: ApiToken[];
}

export interface Principal {
  name: string;
  role: Role;
}

/** A token configuration that cannot be used. The message never contains a token. */
export class ApiTokenConfigError extends Error {
  override readonly name = 'ApiTokenConfigError';
}

const TOKEN_NAME = /^[A-Za-z0-9._@-]{1,64}$/;
export const MIN_TOKEN_LENGTH = 16;

/** Parses `name:role:token[,name:role:token…]`; the token is everything after the second colon. */
export function parseApiTokens(value: string): AuthConfig {
  const tokens: ApiToken[] = [];
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  entries.forEach((entry, index) => {
    const first = entry.indexOf(':');
    const second = first < 0 ? -1 : entry.indexOf(':', first + 1);
    const position = `API_TOKENS entry ${index + 1}`;
    if (second < 0) throw new ApiTokenConfigError(`${position} must look like name:role:token`);
    const name = entry.slice(0, first);
    const role = entry.slice(first + 1, second);
    const token = entry.slice(second + 1);
    if (!TOKEN_NAME.test(name)) {
      throw new ApiTokenConfigError(
        `${position}: the name must be 1 to 64 letters, digits or . _ @ - (it is recorded as the actor)`,
      );
    }
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new ApiTokenConfigError(`${position} (${name}): the role must be read or admin`);
    }
    if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
      throw new ApiTokenConfigError(
        `${position} (${name}): the token must be at least ${MIN_TOKEN_LENGTH} characters without spaces`,
      );
    }
    if (tokens.some((t) => t.name === name))
      throw new ApiTokenConfigError(`${position}: the name ${name} is used twice`);
    if (tokens.some((t) => t.token === token)) {
      throw new ApiTokenConfigError(`${position} (${name}): the same token is configured twice`);
    }
    tokens.push({ name, role: role as Role, token });
  });
  return { tokens };
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export class TokenVerifier {
  private readonly known: { digest: Buffer; principal: Principal }[];

  constructor(config: AuthConfig) {
    this.known = config.tokens.map((t) => ({ digest: digest(t.token), principal: { name: t.name, role: t.role } }));
  }

  /** The principal a presented token belongs to, or undefined. Takes the same time whichever token matches. */
  identify(presented: string): Principal | undefined {
    const candidate = digest(presented);
    let found: Principal | undefined;
    for (const entry of this.known) {
      if (timingSafeEqual(candidate, entry.digest) && found === undefined) found = entry.principal;
    }
    return found;
  }
}

/** Reads (GET, HEAD) need any token; everything else needs an admin token. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface TokenRequirement {
  /** Admin tokens only, even to read (what the route reads is a secret, such as credentials). */
  adminOnly?: boolean;
}

/**
 * Express middleware: answers 401 without a valid bearer token, and 403 when a read token asks for
 * a change or for an admin-only route; otherwise stores the principal in `res.locals.principal`.
 */
export function requireToken(verifier: TokenVerifier, requirement: TokenRequirement = {}) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header) : null;
    if (!match) {
      throw new AuthenticationError(
        header === undefined
          ? 'this endpoint needs an API token: send it as "Authorization: Bearer <token>"'
          : 'the Authorization header must be "Bearer <token>"',
      );
    }
    const principal = verifier.identify(match[1]);
    if (!principal) throw new AuthenticationError('the API token is not valid; check it or ask for a new one');
    if (principal.role !== 'admin') {
      if (requirement.adminOnly) {
        throw new PermissionError(
          `token ${principal.name} has the read role; ${req.method} ${req.path} is for admin tokens only`,
        );
      }
      if (!READ_METHODS.has(req.method)) {
        throw new PermissionError(
          `token ${principal.name} has the read role and may only read; use an admin token to ${req.method} ${req.path}`,
        );
      }
    }
    res.locals.principal = principal;
    next();
  };
}

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

/**
 * Malformed requests for every route, made from the route declarations themselves (so a new route
 * is fuzzed without anyone remembering to): invalid path parameters, unknown and wrong query
 * parameters, malformed JSON, bodies that are not objects, unknown fields, each field of the
 * route's example with a wrong type or left out, invalid names / engines / CIDRs / plans, an
 * oversized body and a body that is not JSON. Every case is invalid: body mutations the route's
 * schema would accept are dropped.
 */
import type { AnyRoute } from '../route-kit';

export interface FuzzCase {
  route: AnyRoute;
  what: string;
  method: string;
  path: string;
  rawBody?: string;
  contentType?: string;
  /** The status the case must get when it is more specific than "a 4xx". */
  expect?: number;
}

/** A valid value of each path parameter (the target cluster must exist for the state check to mean something). */
export interface ValidParams {
  name: string;
  node: string;
  backupId: string;
  scheduleId: string;
  migrationId: string;
  operationId: string;
}

const INVALID_PARAMS: Record<string, string[]> = {
  name: ['A', 'ab', '-abc', 'abc-', 'a'.repeat(41), 'ORDERS', 'or_ders', '%00x', 'a%2Fb', '%E0%A4%A'],
  node: ['N1', 'x', '-node1', 'n'.repeat(60), 'node%201'],
  backupId: ['..%2F..%2Fetc', 'b'.repeat(65), 'b%20c', '%ff'],
  scheduleId: ['s'.repeat(65), 's%3Bdrop', '%00'],
  migrationId: ['abc', '-1', '1.5', '9'.repeat(12)],
  operationId: ['cluster:x', 'foo', 'cluster:orders:backup:x', 'cluster:Orders:backup:1', 'cluster:orders:monitor:1'],
};

const INVALID_FIELD_VALUES: Record<string, unknown[]> = {
  name: ['A', 'ab', 'abc-', 'x'.repeat(41), 'has space', 42, null],
  engine: ['oracle', 'MySQL', 7, null, ''],
  allowlist: [['10.0.0.0/33'], ['256.1.1.1'], ['not-an-ip'], ['::1/129'], ['10.0.0.1/-1'], ['10.0.0.1', 5], 'open'],
  plan: [
    { cpu: 0, ramMb: 512, diskGb: 10 },
    { cpu: 1.5, ramMb: 512, diskGb: 10 },
    { cpu: '2', ramMb: 512, diskGb: 10 },
  ],
  confirm: [123, null, 'x'.repeat(65)],
  mode: ['cluster', 'multi_master', 3],
};

const OVERSIZED = 100 * 1024;

function wrongTypeFor(value: unknown): unknown[] {
  if (typeof value === 'string') return [12345, true, ['x'], { x: 1 }];
  if (typeof value === 'number') return ['12', true, [1], null];
  if (typeof value === 'boolean') return ['true', 1, null];
  if (Array.isArray(value)) return [{}, 'list', 1];
  if (value && typeof value === 'object') return [[], 'object', 1, null];
  return ['x'];
}

function pathWith(route: AnyRoute, params: Record<string, string>): string {
  return route.path.replace(/\{([A-Za-z]+)\}/g, (_m, key: string) => params[key]);
}

export function fuzzCases(routes: AnyRoute[], valid: ValidParams): FuzzCase[] {
  const cases: FuzzCase[] = [];
  for (const route of routes) {
    const method = route.method.toUpperCase();
    const basePath = pathWith(route, valid as unknown as Record<string, string>);
    const example = (route.example ?? {}) as Record<string, unknown>;
    const exampleText = JSON.stringify(example);
    const add = (what: string, extra: Partial<FuzzCase>) =>
      cases.push({
        route,
        what,
        method,
        path: basePath,
        ...(route.method !== 'get' ? { rawBody: exampleText } : {}),
        ...extra,
      });

    for (const param of [...route.path.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => m[1])) {
      for (const bad of INVALID_PARAMS[param] ?? []) {
        add(`path ${param}=${bad}`, {
          path: pathWith(route, { ...(valid as unknown as Record<string, string>), [param]: bad }),
        });
      }
    }
    if (!route.public) {
      for (const query of ['bogus=1', '__proto__=1', 'constructor=x&hasOwnProperty=y']) {
        add(`unknown query parameter ${query}`, { path: `${basePath}?${query}` });
      }
    }
    if (route.query) {
      for (const query of [
        'limit=abc',
        'limit=0',
        'limit=-5',
        'limit=1&limit=2',
        'limit=99999999',
        'engine=oracle',
        'before=x',
      ]) {
        add(`query ${query}`, { path: `${basePath}?${query}` });
      }
    }
    if (route.method === 'get' || !route.body) continue;

    for (const raw of ['{', '{"a":', 'nul', '{"a":1,}', "{'a':1}", '[]', '"text"', '1', 'null', 'true']) {
      add(`body ${raw}`, { rawBody: raw, expect: 400 });
    }
    add('unknown field', { rawBody: JSON.stringify({ ...example, unexpectedField: 1 }), expect: 400 });
    add('prototype key', {
      rawBody: JSON.stringify(example).replace(/^\{/, '{"__proto__":{"admin":true},'),
      expect: 400,
    });
    const candidates: [string, Record<string, unknown>][] = [];
    for (const [key, value] of Object.entries(example)) {
      const { [key]: _dropped, ...without } = example;
      candidates.push([`without ${key}`, without]);
      for (const wrong of wrongTypeFor(value))
        candidates.push([`${key} = ${JSON.stringify(wrong)}`, { ...example, [key]: wrong }]);
    }
    for (const [key, values] of Object.entries(INVALID_FIELD_VALUES)) {
      if (!(key in example)) continue;
      for (const value of values) candidates.push([`${key} = ${JSON.stringify(value)}`, { ...example, [key]: value }]);
    }
    for (const [what, body] of candidates) {
      // Only what the API refuses: its schema, or (names, CIDRs) the shared rules behind it.
      const refusedBySchema = !route.body.safeParse(body).success;
      const refusedByRules = what.startsWith('allowlist');
      if (refusedBySchema || refusedByRules) add(`body ${what}`, { rawBody: JSON.stringify(body), expect: 400 });
    }
    add('oversized body', {
      rawBody: JSON.stringify({ ...example, padding: 'x'.repeat(OVERSIZED) }),
      expect: 413,
    });
    add('body that is not JSON', { rawBody: 'name=orders', contentType: 'text/plain', expect: 415 });
  }
  return cases;
}

/**
 * A gRPC request message from an HTTP request, as grpc-gateway builds it: the JSON body (every
 * Temporal binding takes the whole body), then the path variables; without a body, the query
 * string fills any field by its dotted path (`execution.runId=…`, `pageSize=10`, a repeated field
 * by repeating its key).
 */
import type { Field, Type } from 'protobufjs';
import { fieldByName, JsonMappingError, messageFromJson, singleFromJson } from './proto-json';
import type { RouteMatch } from './routes';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type PlainMessage = Record<string, any>;

export function buildRequest(match: RouteMatch, query: URLSearchParams, body: unknown | undefined): PlainMessage {
  const { route, params } = match;
  const request = body === undefined ? {} : messageFromJson(route.requestType, body);
  if (body === undefined) {
    const pathFields = new Set(Object.keys(params));
    for (const key of new Set(query.keys())) {
      if (pathFields.has(key)) continue;
      setFieldPath(route.requestType, request, key, query.getAll(key));
    }
  }
  for (const [path, value] of Object.entries(params)) setFieldPath(route.requestType, request, path, [value]);
  return request;
}

/** Sets the field at a dotted path from its text form(s), creating the messages on the way. */
function setFieldPath(type: Type, target: PlainMessage, path: string, values: string[]): void {
  const names = path.split('.');
  let current = target;
  let currentType = type;
  for (let i = 0; i < names.length; i++) {
    currentType.resolveAll();
    const field = fieldByName(currentType, names[i]);
    const where = names.slice(0, i + 1).join('.');
    if (!field) throw new JsonMappingError(where, `unknown field of ${currentType.name}`);
    const last = i === names.length - 1;
    if (last) {
      current[field.name] = valueFromText(field, values, where);
      return;
    }
    const next = field.resolvedType;
    if (!next || !('fields' in next) || field.repeated || field.map) {
      throw new JsonMappingError(where, 'is not a message that a path can go into');
    }
    current[field.name] ??= {};
    current = current[field.name] as PlainMessage;
    currentType = next as Type;
  }
}

function valueFromText(field: Field, values: string[], where: string): unknown {
  if (field.map) throw new JsonMappingError(where, 'a map cannot be set from the URL');
  if (!field.repeated && values.length > 1) throw new JsonMappingError(where, 'given more than once');
  // Messages in a URL are well-known types in their JSON string form (times, durations, masks).
  const target = field.resolvedType;
  const isEnum = !!target && !('fields' in target);
  const one = (text: string) => singleFromJson(field, isEnum ? enumText(text) : text, where);
  return field.repeated ? values.map(one) : one(values[0]);
}

/** Enum values in a URL may be names or numbers. */
function enumText(text: string): string | number {
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

/**
 * proto3's JSON mapping, as Temporal's HTTP API (grpc-gateway over `temporalproto`) speaks it,
 * between JSON and the devserver's plain messages (int64 as number, enums as numbers, bytes as
 * Uint8Array, unset fields absent: see `proto.ts`).
 *
 * Out: lowerCamelCase names, enums by name, 64-bit integers as strings, bytes as base64,
 * `Timestamp` as RFC 3339, `Duration` as `"1.5s"`, `FieldMask` as `"a.b,c"`, wrappers as their value,
 * `Any` with `@type`, `Struct`/`Value` as plain JSON; proto3 fields at their default are left out.
 * Payloads keep their full form (`{metadata: {encoding: base64}, data: base64}`), as the UI server
 * renders them and the Web UI expects.
 * In: either field name (lowerCamelCase or the proto's snake_case), enums by name or number,
 * 64-bit integers as strings or numbers, `null` as unset. Anything else is a `JsonMappingError`
 * naming the field.
 */
import type { Enum, Field, Type } from 'protobufjs';
import { root } from '../proto';

export class JsonMappingError extends Error {
  constructor(path: string, problem: string) {
    super(`${path || 'request'}: ${problem}`);
    this.name = 'JsonMappingError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
// Plain messages are loosely typed objects; each field is checked against its descriptor here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type PlainMessage = Record<string, any>;

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const INT32_TYPES = new Set(['int32', 'sint32', 'sfixed32']);
const UINT32_TYPES = new Set(['uint32', 'fixed32']);
const WRAPPERS = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map(
    (name) => `google.protobuf.${name}Value`,
  ),
);

const fullName = (type: Type) => type.fullName.replace(/^\./, '');

function resolved(type: Type): Type {
  // Resolving once per type makes every field's resolvedType available.
  type.resolveAll();
  return type;
}

// ---------------------------------------------------------------------------------------------
// message → JSON

export function messageToJson(type: Type, message: PlainMessage): Json {
  resolved(type);
  switch (fullName(type)) {
    case 'google.protobuf.Timestamp':
      return formatTimestamp(Number(message.seconds ?? 0), Number(message.nanos ?? 0));
    case 'google.protobuf.Duration':
      return formatDuration(Number(message.seconds ?? 0), Number(message.nanos ?? 0));
    case 'google.protobuf.FieldMask':
      return ((message.paths ?? []) as string[]).map((p) => p.split('.').map(camelCase).join('.')).join(',');
    case 'google.protobuf.Struct':
      return structToJson(message);
    case 'google.protobuf.Value':
      return valueToJson(message);
    case 'google.protobuf.ListValue':
      return ((message.values ?? []) as PlainMessage[]).map(valueToJson);
    case 'google.protobuf.Any':
      return anyToJson(message);
  }
  if (WRAPPERS.has(fullName(type)))
    return scalarToJson(type.fields.value, message.value ?? defaultOf(type.fields.value));
  const out: Record<string, Json> = {};
  for (const field of type.fieldsArray) {
    const value = message[field.name];
    if (value === undefined || value === null) continue;
    if (field.map) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) continue;
      out[field.name] = Object.fromEntries(entries.map(([k, v]) => [k, fieldValueToJson(field, v)]));
    } else if (field.repeated) {
      const items = value as unknown[];
      if (items.length === 0) continue;
      out[field.name] = items.map((item) => fieldValueToJson(field, item));
    } else {
      const isMessage = !!field.resolvedType && 'fields' in field.resolvedType;
      if (!field.partOf && !isMessage && isDefault(field, value)) continue;
      out[field.name] = fieldValueToJson(field, value);
    }
  }
  return out;
}

function fieldValueToJson(field: Field, value: unknown): Json {
  const target = field.resolvedType;
  if (target && 'fields' in target) return messageToJson(target as Type, value as PlainMessage);
  if (target) return enumToJson(target as Enum, value);
  return scalarToJson(field, value);
}

function enumToJson(type: Enum, value: unknown): Json {
  if (typeof value === 'string') return value;
  if (fullName(type as unknown as Type) === 'google.protobuf.NullValue') return null;
  return type.valuesById[Number(value)] ?? Number(value);
}

function scalarToJson(field: Field, value: unknown): Json {
  if (LONG_TYPES.has(field.type)) return String(value);
  switch (field.type) {
    case 'bytes':
      return typeof value === 'string' ? value : Buffer.from(value as Uint8Array).toString('base64');
    case 'double':
    case 'float': {
      const n = Number(value);
      if (Number.isNaN(n)) return 'NaN';
      if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
      return n;
    }
    case 'bool':
      return Boolean(value);
    case 'string':
      return String(value);
    default:
      return Number(value);
  }
}

function isDefault(field: Field, value: unknown): boolean {
  if (field.resolvedType) return Number(value) === 0;
  if (field.type === 'bytes') return (value as Uint8Array).length === 0;
  if (field.type === 'string') return value === '';
  if (field.type === 'bool') return value === false;
  return Number(value) === 0;
}

function defaultOf(field: Field): unknown {
  if (field.type === 'bytes') return new Uint8Array();
  if (field.type === 'string') return '';
  if (field.type === 'bool') return false;
  return 0;
}

function structToJson(message: PlainMessage): Json {
  const fields = (message.fields ?? {}) as Record<string, PlainMessage>;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, valueToJson(v)]));
}

function valueToJson(value: PlainMessage): Json {
  if (value.structValue !== undefined) return structToJson(value.structValue as PlainMessage);
  if (value.listValue !== undefined) return ((value.listValue.values ?? []) as PlainMessage[]).map(valueToJson);
  if (value.stringValue !== undefined) return String(value.stringValue);
  if (value.numberValue !== undefined) return Number(value.numberValue);
  if (value.boolValue !== undefined) return Boolean(value.boolValue);
  return null;
}

function anyToJson(message: PlainMessage): Json {
  const typeUrl = String(message.typeUrl ?? '');
  const inner = lookupAnyType(typeUrl, 'Any');
  const decoded = inner.toObject(inner.decode(message.value ?? new Uint8Array()), {
    longs: Number,
    enums: Number,
    defaults: false,
  });
  const json = messageToJson(inner, decoded);
  if (json !== null && typeof json === 'object' && !Array.isArray(json) && !isSpecial(inner)) {
    return { '@type': typeUrl, ...json };
  }
  return { '@type': typeUrl, value: json };
}

const isSpecial = (type: Type) =>
  fullName(type).startsWith('google.protobuf.') && fullName(type) !== 'google.protobuf.Empty';

function lookupAnyType(typeUrl: string, path: string): Type {
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  try {
    return resolved(root.lookupType(name));
  } catch {
    throw new JsonMappingError(path, `unknown message type ${JSON.stringify(typeUrl)} in @type`);
  }
}

// ---------------------------------------------------------------------------------------------
// JSON → message

/** Field of a message by its JSON name or its proto (snake_case) name. */
export function fieldByName(type: Type, name: string): Field | undefined {
  return type.fields[name] ?? type.fields[camelCase(name)];
}

export function messageFromJson(type: Type, json: unknown, path = ''): PlainMessage {
  resolved(type);
  const special = specialFromJson(type, json, path);
  if (special !== undefined) return special;
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new JsonMappingError(path, `expected an object (${fullName(type)})`);
  }
  const out: PlainMessage = {};
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    const field = fieldByName(type, key);
    const where = path ? `${path}.${key}` : key;
    if (!field) throw new JsonMappingError(where, `unknown field of ${fullName(type)}`);
    const isValue = field.resolvedType?.fullName === '.google.protobuf.Value';
    if (value === null && !isValue) continue;
    out[field.name] = fieldValueFromJson(field, value, where);
  }
  return out;
}

export function fieldValueFromJson(field: Field, value: unknown, path: string): unknown {
  if (field.map) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new JsonMappingError(path, 'expected an object (map)');
    }
    const keyType = (field as Field & { keyType: string }).keyType;
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => {
        // Map keys are strings in JSON; an integer or bool key must still read as one.
        if (keyType !== 'string') scalarFromJson(keyType, k, `${path} key ${JSON.stringify(k)}`);
        return [k, singleFromJson(field, v, `${path}.${k}`)];
      }),
    );
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw new JsonMappingError(path, 'expected an array');
    return value.map((item, index) => singleFromJson(field, item, `${path}[${index}]`));
  }
  return singleFromJson(field, value, path);
}

/** One value of a field (an element, when the field is repeated). */
export function singleFromJson(field: Field, value: unknown, path: string): unknown {
  const target = field.resolvedType;
  if (target && 'fields' in target) return messageFromJson(target as Type, value, path);
  if (target) return enumFromJson(target as Enum, value, path);
  return scalarFromJson(field.type, value, path);
}

function enumFromJson(type: Enum, value: unknown, path: string): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && Object.prototype.hasOwnProperty.call(type.values, value)) return type.values[value];
  throw new JsonMappingError(path, `${JSON.stringify(value)} is not a value of ${type.name}`);
}

export function scalarFromJson(kind: string, value: unknown, path: string): unknown {
  if (kind === 'string') {
    if (typeof value !== 'string') throw new JsonMappingError(path, 'expected a string');
    return value;
  }
  if (kind === 'bool') {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw new JsonMappingError(path, 'expected true or false');
  }
  if (kind === 'bytes') {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) {
      throw new JsonMappingError(path, 'expected base64 data');
    }
    return Buffer.from(value, 'base64');
  }
  if (kind === 'double' || kind === 'float') {
    if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || Number.isNaN(n)) throw new JsonMappingError(path, 'expected a number');
    return n;
  }
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new JsonMappingError(path, 'expected an integer');
  const unsigned = UINT32_TYPES.has(kind) || kind === 'uint64' || kind === 'fixed64';
  if (unsigned && n < 0) throw new JsonMappingError(path, 'expected a non-negative integer');
  if ((INT32_TYPES.has(kind) && Math.abs(n) > 2 ** 31) || (UINT32_TYPES.has(kind) && n >= 2 ** 32)) {
    throw new JsonMappingError(path, 'integer out of range');
  }
  return n;
}

function specialFromJson(type: Type, json: unknown, path: string): PlainMessage | undefined {
  const name = fullName(type);
  if (WRAPPERS.has(name)) return { value: scalarFromJson(type.fields.value.type, json, path) };
  switch (name) {
    case 'google.protobuf.Timestamp':
      if (typeof json !== 'string') throw new JsonMappingError(path, 'expected an RFC 3339 time string');
      return parseTimestamp(json, path);
    case 'google.protobuf.Duration':
      if (typeof json !== 'string') throw new JsonMappingError(path, 'expected a duration such as "1.5s"');
      return parseDuration(json, path);
    case 'google.protobuf.FieldMask':
      if (typeof json !== 'string') throw new JsonMappingError(path, 'expected a field mask such as "a.b,c"');
      return { paths: json === '' ? [] : json.split(',').map((p) => p.split('.').map(snakeCase).join('.')) };
    case 'google.protobuf.Struct':
      return structFromJson(json, path);
    case 'google.protobuf.Value':
      return valueFromJson(json);
    case 'google.protobuf.ListValue':
      if (!Array.isArray(json)) throw new JsonMappingError(path, 'expected an array');
      return { values: json.map(valueFromJson) };
    case 'google.protobuf.Any':
      return anyFromJson(json, path);
  }
  return undefined;
}

function structFromJson(json: unknown, path: string): PlainMessage {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new JsonMappingError(path, 'expected an object');
  }
  return { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, valueFromJson(v)])) };
}

function valueFromJson(json: unknown): PlainMessage {
  if (json === null || json === undefined) return { nullValue: 0 };
  if (typeof json === 'string') return { stringValue: json };
  if (typeof json === 'number') return { numberValue: json };
  if (typeof json === 'boolean') return { boolValue: json };
  if (Array.isArray(json)) return { listValue: { values: json.map(valueFromJson) } };
  return { structValue: structFromJson(json, '') };
}

function anyFromJson(json: unknown, path: string): PlainMessage {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new JsonMappingError(path, 'expected an object with @type');
  }
  const { '@type': typeUrl, ...rest } = json as Record<string, unknown>;
  if (typeof typeUrl !== 'string') throw new JsonMappingError(`${path}.@type`, 'expected a type URL');
  const inner = lookupAnyType(typeUrl, path);
  const plain = messageFromJson(inner, isSpecial(inner) ? rest.value : rest, path);
  return { typeUrl, value: inner.encode(inner.fromObject(plain)).finish() };
}

// ---------------------------------------------------------------------------------------------
// well-known formats

function fraction(nanos: number): string {
  if (nanos === 0) return '';
  const digits = String(nanos).padStart(9, '0');
  if (digits.endsWith('000000')) return `.${digits.slice(0, 3)}`;
  if (digits.endsWith('000')) return `.${digits.slice(0, 6)}`;
  return `.${digits}`;
}

export function formatTimestamp(seconds: number, nanos: number): string {
  const iso = new Date(seconds * 1000).toISOString(); // 2024-01-02T03:04:05.000Z
  return `${iso.slice(0, 19)}${fraction(nanos)}Z`;
}

export function formatDuration(seconds: number, nanos: number): string {
  const negative = seconds < 0 || nanos < 0;
  return `${negative ? '-' : ''}${Math.abs(seconds)}${fraction(Math.abs(nanos))}s`;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseTimestamp(text: string, path: string): PlainMessage {
  const match = RFC3339.exec(text);
  const ms = match ? Date.parse(`${match[1]}T${match[2]}${match[4].toUpperCase()}`) : NaN;
  if (!match || Number.isNaN(ms)) {
    throw new JsonMappingError(path, `${JSON.stringify(text)} is not an RFC 3339 time (e.g. 2024-05-01T12:00:00Z)`);
  }
  return { seconds: ms / 1000, nanos: Number((match[3] ?? '').padEnd(9, '0')) };
}

export function parseDuration(text: string, path: string): PlainMessage {
  const match = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(text);
  if (!match) throw new JsonMappingError(path, `${JSON.stringify(text)} is not a duration (e.g. "1.5s")`);
  const sign = match[1] ? -1 : 1;
  const nanos = Number((match[3] ?? '').padEnd(9, '0'));
  return { seconds: sign * Number(match[2]), ...(nanos ? { nanos: sign * nanos } : {}) };
}

function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

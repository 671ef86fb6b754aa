/**
 * Custom search attribute values: decoding the JSON payloads SDKs send, type checks against the
 * namespace's registered attributes, with the real server's error messages.
 */
import type { NamespaceRecord } from './namespaces';
import type { Payload, SearchAttributes } from './proto';
import { SYSTEM_SEARCH_ATTRIBUTES } from './visibility/attributes';
import type { SearchAttributeType } from './visibility/types';

export type SearchAttributeValue = string | number | boolean | string[];

/** Attributes the server maintains itself; a workflow may not set them. */
const SYSTEM_ATTRIBUTE_NAMES = new Set([
  'WorkflowId',
  'WorkflowType',
  'RunId',
  'ExecutionStatus',
  'StartTime',
  'CloseTime',
  'ExecutionTime',
  'ExecutionDuration',
  'HistoryLength',
  'HistorySizeBytes',
  'StateTransitionCount',
  'TaskQueue',
  'ParentWorkflowId',
  'ParentRunId',
  'RootWorkflowId',
  'RootRunId',
  'NamespaceId',
]);

/** The type of an attribute a workflow may set: a predefined one (e.g. TemporalChangeVersion) or a registered custom one. */
export function settableAttributeType(namespace: NamespaceRecord, name: string): SearchAttributeType | undefined {
  if (SYSTEM_ATTRIBUTE_NAMES.has(name)) return undefined;
  return namespace.customSearchAttributes.get(name) ?? SYSTEM_SEARCH_ATTRIBUTES[name];
}

function decodeJson(payload: Payload): unknown {
  if (!payload.data || payload.data.length === 0) return undefined;
  return JSON.parse(Buffer.from(payload.data).toString('utf8'));
}

/**
 * The typed value of one payload, or undefined for an empty value (which unsets the attribute).
 * Throws when the value does not fit the type.
 */
export function decodeSearchAttribute(payload: Payload, type: SearchAttributeType): SearchAttributeValue | undefined {
  const raw = decodeJson(payload);
  if (raw === undefined || raw === null) return undefined;
  if (Array.isArray(raw) && raw.length === 0) return undefined;
  const single = Array.isArray(raw) && raw.length === 1 && type !== 'KeywordList' ? raw[0] : raw;
  switch (type) {
    case 'Text':
    case 'Keyword':
      if (typeof single !== 'string') throw new TypeError('not a string');
      return single;
    case 'Int':
      if (typeof single !== 'number' || !Number.isInteger(single)) throw new TypeError('not an integer');
      return single;
    case 'Double':
      if (typeof single !== 'number') throw new TypeError('not a number');
      return single;
    case 'Bool':
      if (typeof single !== 'boolean') throw new TypeError('not a boolean');
      return single;
    case 'Datetime': {
      if (typeof single !== 'string') throw new TypeError('not a datetime');
      const ms = Date.parse(single);
      if (Number.isNaN(ms)) throw new TypeError('not a datetime');
      return ms;
    }
    case 'KeywordList': {
      const list = Array.isArray(raw) ? raw : [raw];
      if (!list.every((v) => typeof v === 'string')) throw new TypeError('not a list of strings');
      return list as string[];
    }
  }
}

export function searchAttributesProblem(
  namespace: NamespaceRecord,
  searchAttributes: SearchAttributes | undefined,
): string | undefined {
  for (const [name, payload] of Object.entries(searchAttributes?.indexedFields ?? {})) {
    if (SYSTEM_ATTRIBUTE_NAMES.has(name)) return `${name} attribute can't be set in SearchAttributes`;
    const type = settableAttributeType(namespace, name);
    if (type === undefined) return `search attribute ${name} is not defined`;
    try {
      decodeSearchAttribute(payload, type);
    } catch {
      let shown: unknown;
      try {
        shown = decodeJson(payload);
      } catch {
        shown = '<undecodable>';
      }
      return `invalid value for search attribute ${name} of type ${type}: ${JSON.stringify(shown)}`;
    }
  }
  return undefined;
}

/** Decoded custom attributes of a run, for visibility queries. Unknown or undecodable ones are skipped. */
export function decodeSearchAttributes(
  namespace: NamespaceRecord,
  searchAttributes: SearchAttributes | undefined,
): Record<string, SearchAttributeValue> {
  const values: Record<string, SearchAttributeValue> = {};
  for (const [name, payload] of Object.entries(searchAttributes?.indexedFields ?? {})) {
    const type = settableAttributeType(namespace, name);
    if (type === undefined) continue;
    try {
      const value = decodeSearchAttribute(payload, type);
      if (value !== undefined) values[name] = value;
    } catch {
      // Validated on the way in; a later type change of the attribute leaves the old value unreadable.
    }
  }
  return values;
}

/**
 * Search attributes as visibility returns them: each payload carries its registered type in
 * `metadata.type` (as the real server adds it), which SDKs need to decode typed attributes.
 */
export function withTypeMetadata(
  namespace: NamespaceRecord,
  searchAttributes: SearchAttributes | undefined,
): SearchAttributes {
  const indexedFields: Record<string, Payload> = {};
  for (const [name, payload] of Object.entries(searchAttributes?.indexedFields ?? {})) {
    const type = settableAttributeType(namespace, name);
    indexedFields[name] = type ? { ...payload, metadata: { ...payload.metadata, type: Buffer.from(type) } } : payload;
  }
  return { indexedFields };
}

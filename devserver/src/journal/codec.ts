/**
 * How journal records are written: JSON, with binary fields (payload data) as base64 and history
 * events as their protobuf encoding, so they come back exactly as they went in.
 */
import type { HistoryEvent } from '../proto';
import { decodeMessage, encodeMessage } from '../proto';

const HISTORY_EVENT = 'temporal.api.history.v1.HistoryEvent';
const BINARY_TAG = '$b64';

export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Uint8Array) return { [BINARY_TAG]: Buffer.from(v).toString('base64') };
    // Buffer.toJSON runs before the replacer sees the Buffer; catch its output too.
    if (isBufferJson(v)) return { [BINARY_TAG]: Buffer.from(v.data).toString('base64') };
    return v;
  });
}

export function fromJson<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && BINARY_TAG in v)
      return Buffer.from((v as Record<string, string>)[BINARY_TAG], 'base64');
    return v;
  }) as T;
}

function isBufferJson(v: unknown): v is { type: 'Buffer'; data: number[] } {
  return (
    typeof v === 'object' &&
    v !== null &&
    (v as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((v as { data?: unknown }).data)
  );
}

export function encodeEvents(events: readonly HistoryEvent[]): string[] {
  return events.map((event) => Buffer.from(encodeMessage(HISTORY_EVENT, event)).toString('base64'));
}

export function decodeEvents(encoded: readonly string[]): HistoryEvent[] {
  return encoded.map((text) => decodeMessage<HistoryEvent>(HISTORY_EVENT, Buffer.from(text, 'base64')));
}

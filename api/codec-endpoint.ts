/**
 * Temporal's remote codec protocol over the product's payload codec: `POST …/decode` and
 * `POST …/encode` take `{"payloads": [{"metadata": {k: base64}, "data": base64}, …]}` (proto3 JSON
 * of `temporal.api.common.v1.Payloads`) and answer the same shape, decrypted or encrypted. The
 * Web UI and the `temporal` CLI (`--codec-endpoint`) call it to show payloads in clear; only admins
 * may (a payload holds database passwords), which the caller checks before `handleCodecRequest`.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PayloadDecryptionError } from '../activities/codec';

const MAX_BODY_BYTES = 8 * 1024 * 1024;
const MAX_PAYLOADS = 10_000;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

export class CodecRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'CodecRequestError';
  }
}

type JsonPayload = { metadata?: Record<string, string>; data?: string };

/** Answers a codec request (`kind` from the path's last segment). */
export async function handleCodecRequest(
  req: IncomingMessage,
  res: ServerResponse,
  kind: 'decode' | 'encode',
  options: { codec: PayloadCodec; namespace: string },
): Promise<void> {
  const namespace = req.headers['x-namespace'];
  if (typeof namespace === 'string' && namespace !== '' && namespace !== options.namespace) {
    throw new CodecRequestError(
      400,
      `this codec endpoint serves namespace ${options.namespace}, not ${JSON.stringify(namespace)}`,
    );
  }
  const payloads = parsePayloads(await readBody(req));
  let converted: Payload[];
  try {
    converted = kind === 'decode' ? await options.codec.decode(payloads) : await options.codec.encode(payloads);
  } catch (err) {
    if (err instanceof PayloadDecryptionError) throw new CodecRequestError(422, err.message);
    throw err;
  }
  const body = JSON.stringify({ payloads: converted.map(toJson) });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new CodecRequestError(415, 'send the payloads as JSON (Content-Type: application/json)');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new CodecRequestError(413, `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new CodecRequestError(400, 'the body is not JSON');
  }
}

function parsePayloads(body: unknown): Payload[] {
  const list = (body as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(list)) throw new CodecRequestError(400, 'the body must be {"payloads": [...]}');
  if (list.length > MAX_PAYLOADS) throw new CodecRequestError(400, `at most ${MAX_PAYLOADS} payloads per request`);
  return list.map((item: unknown, index) => {
    const where = `payloads[${index}]`;
    if (item === null || typeof item !== 'object') throw new CodecRequestError(400, `${where} is not an object`);
    const { metadata = {}, data = '' } = item as JsonPayload;
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new CodecRequestError(400, `${where}.metadata must be an object of base64 values`);
    }
    const decoded: Record<string, Uint8Array> = {};
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string' || !BASE64.test(value)) {
        throw new CodecRequestError(400, `${where}.metadata.${key} is not base64`);
      }
      decoded[key] = Buffer.from(value, 'base64');
    }
    if (typeof data !== 'string' || !BASE64.test(data)) throw new CodecRequestError(400, `${where}.data is not base64`);
    return { metadata: decoded, data: Buffer.from(data, 'base64') };
  });
}

function toJson(payload: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    if (value) metadata[key] = Buffer.from(value).toString('base64');
  }
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}

/**
 * The payload codec that keeps secrets out of Temporal: every payload the client and the worker send
 * (workflow and activity inputs and results, update arguments, query results, memos) is encrypted
 * with AES-256-GCM before it leaves the process, so histories hold no database or source password in
 * plain text.
 *
 * Wire format of an encrypted payload: metadata `encoding: binary/encrypted` and
 * `encryption-key-id: <id>`; data = 12-byte random IV ‖ ciphertext ‖ 16-byte tag, where the plaintext
 * is the original payload (metadata and data) in protobuf form and the key id is authenticated as
 * additional data. Keys rotate: the first key encrypts, every key decrypts (the id says which).
 *
 * The product's codec trusts no payload it did not encrypt: decode turns an unencrypted payload into
 * one of encoding `binary/unencrypted-refused`, which no converter reads, so the call that carried it
 * fails (an Update is rejected, a query fails, a start or signal fails its workflow task) instead of
 * being acted on. Anyone who can reach the Temporal service could otherwise forge inputs (an Update
 * that deletes a cluster, an activity result) in plain JSON. Two kinds of unencrypted payloads are not
 * inputs and are left alone: search attributes and headers (the SDK never passes them through the
 * codec), and the constants the server writes itself (`ACTIVITY_ID_NOT_STARTED`).
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from './errors';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA_KEY = 'encryption-key-id';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = temporal.api.common.v1.Payload;

/** A payload that cannot be decrypted: unknown key id, or data altered or encrypted with another key. */
export class PayloadDecryptionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PayloadDecryptionError';
  }
}

export interface CodecKey {
  /** Public name of the key (derived from it, reveals nothing about it); stored with every payload. */
  id: string;
  key: Buffer;
}

export function codecKey(key: Buffer): CodecKey {
  if (key.length !== KEY_BYTES) throw new RangeError(`a codec key is ${KEY_BYTES} bytes, not ${key.length}`);
  // A domain-separated hash: the id names the key without being usable as, or against, the key.
  const id = createHash('sha256').update('dbcluster-orchestrator codec key id\0').update(key).digest('hex');
  return { id: id.slice(0, 16), key: Buffer.from(key) };
}

/** What decode makes of an unencrypted payload the product's codec does not trust. */
export const REFUSED_ENCODING = 'binary/unencrypted-refused';

/** Payloads the Temporal server writes itself, unencrypted (an activity cancelled before it started). */
const SERVER_PAYLOADS = [JSON.stringify('ACTIVITY_ID_NOT_STARTED')];

export interface AesGcmCodecOptions {
  /**
   * Refuse unencrypted payloads (the product's client and worker). Off, they pass through decode
   * untouched: for showing old or server-written payloads, never for acting on them.
   */
  refuseUnencrypted?: boolean;
}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly encryptWith: CodecKey;
  private readonly byId: Map<string, CodecKey>;
  private readonly refuseUnencrypted: boolean;

  /** `keys[0]` encrypts; all of them decrypt. */
  constructor(keys: readonly CodecKey[], options: AesGcmCodecOptions = {}) {
    if (keys.length === 0) throw new RangeError('AesGcmPayloadCodec needs at least one key');
    this.encryptWith = keys[0];
    this.byId = new Map(keys.map((k) => [k.id, k]));
    this.refuseUnencrypted = options.refuseUnencrypted ?? false;
  }

  get keyId(): string {
    return this.encryptWith.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decrypt(payload));
  }

  private encrypt(payload: Payload): Payload {
    const { id, key } = this.encryptWith;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(id, 'utf8'));
    const plaintext = ProtoPayload.encode(payload).finish();
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: {
        encoding: Buffer.from(ENCRYPTED_ENCODING, 'utf8'),
        [KEY_ID_METADATA_KEY]: Buffer.from(id, 'utf8'),
      },
      data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }

  private decrypt(payload: Payload): Payload {
    const encoding = payload.metadata?.encoding;
    if (encoding === undefined || encoding === null || Buffer.from(encoding).toString('utf8') !== ENCRYPTED_ENCODING) {
      return this.refuseUnencrypted && !isServerPayload(payload) ? refused() : payload;
    }
    const rawId = payload.metadata?.[KEY_ID_METADATA_KEY];
    const id = rawId ? Buffer.from(rawId).toString('utf8') : '';
    const entry = this.byId.get(id);
    if (entry === undefined) {
      throw new PayloadDecryptionError(
        `payload encrypted with key ${JSON.stringify(id)}, which this process does not have; ` +
          'add that key to CODEC_KEY (after the current one) to read it',
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(`encrypted payload is ${data.length} bytes, too short to be one`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', entry.key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(id, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plaintext = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return ProtoPayload.decode(plaintext);
    } catch (err) {
      throw new PayloadDecryptionError(`payload encrypted with key ${id} failed authentication (altered data)`, {
        cause: err,
      });
    }
  }
}

function isServerPayload(payload: Payload): boolean {
  const encoding = Buffer.from(payload.metadata?.encoding ?? new Uint8Array()).toString('utf8');
  return (
    encoding === 'json/plain' &&
    SERVER_PAYLOADS.includes(Buffer.from(payload.data ?? new Uint8Array()).toString('utf8'))
  );
}

/** Converting it fails with "Unknown encoding: binary/unencrypted-refused"; its content is dropped. */
function refused(): Payload {
  return { metadata: { encoding: Buffer.from(REFUSED_ENCODING, 'utf8') }, data: new Uint8Array() };
}

/**
 * Reads `CODEC_KEY`: comma-separated base64 keys of 32 bytes each, the first one encrypting. The
 * message names the variable and the position of a bad key, never its value.
 */
export function parseCodecKeys(raw: string, variable = 'CODEC_KEY'): Buffer[] {
  const parts = raw.split(',').map((part) => part.trim());
  return parts.map((part, index) => {
    const where = parts.length > 1 ? `key ${index + 1} of ${variable}` : variable;
    // Node's base64 decoder also reads the URL-safe alphabet, so either form of a key works.
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(part)) {
      throw new ConfigurationError(
        `${where} is not base64; generate a key with: node -e "console.log(require('crypto').randomBytes(32).toString('base64'))"`,
      );
    }
    const key = Buffer.from(part, 'base64');
    if (key.length !== KEY_BYTES) {
      throw new ConfigurationError(`${where} decodes to ${key.length} bytes; it must be ${KEY_BYTES} bytes (base64)`);
    }
    return key;
  });
}

export const CODEC_KEY_FILE = 'codec.key';

export interface LoadedCodec {
  codec: AesGcmPayloadCodec;
  /** Where the encrypting key came from. */
  source: 'CODEC_KEY' | 'file' | 'generated';
  /** The key file under the data directory (read, or written on first run). */
  keyFile: string;
}

/**
 * The product's codec. With `CODEC_KEY` its keys are used (and a key file left by an earlier run is
 * kept for decryption only, so histories written before the switch stay readable); without it the
 * key stored in `<dataDir>/codec.key` (created 0600 on first run) encrypts. Unencrypted payloads
 * are refused unless `refuseUnencrypted` is false (only for showing payloads, never for acting on them).
 */
export async function loadPayloadCodec(
  options: { dataDir: string; keys?: Buffer[] } & AesGcmCodecOptions,
): Promise<LoadedCodec> {
  const keyFile = path.join(options.dataDir, CODEC_KEY_FILE);
  const stored = await readKeyFile(keyFile);
  const codecOptions = { refuseUnencrypted: options.refuseUnencrypted ?? true };
  if (options.keys && options.keys.length > 0) {
    const keys = [...options.keys, ...(stored ? [stored] : [])].map(codecKey);
    return { codec: new AesGcmPayloadCodec(dedupe(keys), codecOptions), source: 'CODEC_KEY', keyFile };
  }
  if (stored) return { codec: new AesGcmPayloadCodec([codecKey(stored)], codecOptions), source: 'file', keyFile };
  const created = await createKeyFile(keyFile);
  return { codec: new AesGcmPayloadCodec([codecKey(created)], codecOptions), source: 'generated', keyFile };
}

async function readKeyFile(file: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const [key] = parseCodecKeys(text.trim(), file);
  return key;
}

/** Writes a new random key with mode 0600; if another process won the race, its key is used. */
async function createKeyFile(file: string): Promise<Buffer> {
  const key = randomBytes(KEY_BYTES);
  await fs.mkdir(path.dirname(file), { recursive: true });
  try {
    await fs.writeFile(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await readKeyFile(file))!;
    throw err;
  }
  return key;
}

function dedupe(keys: CodecKey[]): CodecKey[] {
  const seen = new Set<string>();
  return keys.filter((k) => !seen.has(k.id) && seen.add(k.id));
}

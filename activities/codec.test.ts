import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AesGcmPayloadCodec,
  codecKey,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA_KEY,
  loadPayloadCodec,
  parseCodecKeys,
  PayloadDecryptionError,
  REFUSED_ENCODING,
} from './codec';
import { ConfigurationError } from './errors';

const SECRET = 'hunter2-very-secret-password';
const credentials = { adminUser: 'dbco_admin', adminPassword: SECRET };
const toPayload = (value: unknown) => defaultPayloadConverter.toPayload(value);
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

describe('AesGcmPayloadCodec', () => {
  const key = codecKey(randomBytes(32));
  const codec = new AesGcmPayloadCodec([key]);

  it('round-trips payloads, metadata included, without the plaintext on the wire', async () => {
    const original = toPayload(credentials);
    const [encoded] = await codec.encode([original]);
    expect(text(encoded.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encoded.metadata?.[KEY_ID_METADATA_KEY])).toBe(key.id);
    expect(Object.keys(encoded.metadata ?? {}).sort()).toEqual(['encoding', KEY_ID_METADATA_KEY]);
    expect(Buffer.from(encoded.data!).includes(SECRET)).toBe(false);
    expect(Buffer.from(encoded.data!).includes('json/plain')).toBe(false);

    const [decoded] = await codec.decode([encoded]);
    expect(text(decoded.metadata?.encoding)).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(decoded)).toEqual(credentials);
  });

  it('uses a fresh IV for every payload', async () => {
    const [a, b] = await codec.encode([toPayload(SECRET), toPayload(SECRET)]);
    expect(Buffer.from(a.data!).equals(Buffer.from(b.data!))).toBe(false);
    expect(Buffer.from(a.data!).subarray(0, 12).equals(Buffer.from(b.data!).subarray(0, 12))).toBe(false);
  });

  it('handles empty lists and payloads without data', async () => {
    expect(await codec.encode([])).toEqual([]);
    const empty: Payload = { metadata: { encoding: Buffer.from('binary/null') } };
    const [decoded] = await codec.decode(await codec.encode([empty]));
    expect(text(decoded.metadata?.encoding)).toBe('binary/null');
    expect(decoded.data?.length ?? 0).toBe(0);
  });

  it('passes payloads that are not encrypted through decode unchanged when asked to (showing them only)', async () => {
    const plain = toPayload({ written: 'before the codec' });
    const [decoded] = await codec.decode([plain]);
    expect(defaultPayloadConverter.fromPayload(decoded)).toEqual({ written: 'before the codec' });
  });

  it("refuses unencrypted payloads in the product's codec, so no converter can read them", async () => {
    const strict = new AesGcmPayloadCodec([key], { refuseUnencrypted: true });
    const forged = toPayload({ confirm: 'orders', actor: 'nobody' });
    const [decoded] = await strict.decode([forged]);
    expect(text(decoded.metadata?.encoding)).toBe(REFUSED_ENCODING);
    expect(decoded.data?.length ?? 0).toBe(0);
    expect(() => defaultPayloadConverter.fromPayload(decoded)).toThrow(/Unknown encoding: binary\/unencrypted-refused/);
    // Its own payloads still decode, and so does the constant the server writes itself.
    const [mine] = await strict.decode(await strict.encode([toPayload('ok')]));
    expect(defaultPayloadConverter.fromPayload(mine)).toBe('ok');
    const [server] = await strict.decode([toPayload('ACTIVITY_ID_NOT_STARTED')]);
    expect(defaultPayloadConverter.fromPayload(server)).toBe('ACTIVITY_ID_NOT_STARTED');
    const [other] = await strict.decode([toPayload('ACTIVITY_ID_NOT_STARTED!')]);
    expect(text(other.metadata?.encoding)).toBe(REFUSED_ENCODING);
  });

  it('rotates keys: the first key encrypts, older keys still decrypt', async () => {
    const newer = codecKey(randomBytes(32));
    const rotated = new AesGcmPayloadCodec([newer, key]);
    const [old] = await codec.encode([toPayload('from before the rotation')]);
    const [fresh] = await rotated.encode([toPayload('after')]);
    expect(text(fresh.metadata?.[KEY_ID_METADATA_KEY])).toBe(newer.id);
    expect(rotated.keyId).toBe(newer.id);
    const [a, b] = await rotated.decode([old, fresh]);
    expect(defaultPayloadConverter.fromPayload(a)).toBe('from before the rotation');
    expect(defaultPayloadConverter.fromPayload(b)).toBe('after');
  });

  it('refuses a payload of a key it does not have, naming the key id', async () => {
    const other = new AesGcmPayloadCodec([codecKey(randomBytes(32))]);
    const [foreign] = await other.encode([toPayload(SECRET)]);
    const failure = await codec.decode([foreign]).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(PayloadDecryptionError);
    expect((failure as Error).message).toContain(other.keyId);
    expect((failure as Error).message).toContain('CODEC_KEY');
  });

  it('detects altered data and a swapped key id', async () => {
    const [encoded] = await codec.encode([toPayload(SECRET)]);
    const altered = Buffer.from(encoded.data!);
    altered[20] ^= 0x01;
    await expect(codec.decode([{ ...encoded, data: altered }])).rejects.toThrow(PayloadDecryptionError);
    await expect(codec.decode([{ ...encoded, data: altered.subarray(0, 10) }])).rejects.toThrow(/too short/);

    // The same key under a second id: the id is authenticated, so relabelling is detected.
    const relabelled = { id: 'feedfacefeedface', key: key.key };
    const twoIds = new AesGcmPayloadCodec([key, relabelled]);
    const swapped: Payload = {
      ...encoded,
      metadata: { ...encoded.metadata, [KEY_ID_METADATA_KEY]: Buffer.from(relabelled.id) },
    };
    await expect(twoIds.decode([swapped])).rejects.toThrow(/failed authentication/);
  });

  it('derives a stable id from the key that is not the key', () => {
    const bytes = randomBytes(32);
    expect(codecKey(bytes).id).toBe(codecKey(Buffer.from(bytes)).id);
    expect(codecKey(bytes).id).toMatch(/^[0-9a-f]{16}$/);
    expect(bytes.toString('hex').includes(codecKey(bytes).id)).toBe(false);
    expect(() => codecKey(randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('parseCodecKeys', () => {
  it('reads one or several base64 keys (standard or URL-safe alphabet)', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    expect(parseCodecKeys(a.toString('base64'))).toEqual([a]);
    expect(parseCodecKeys(` ${a.toString('base64')} , ${b.toString('base64url')}`)).toEqual([a, b]);
  });

  it('names the variable and the bad key, never its value', () => {
    const short = randomBytes(16).toString('base64');
    const error = (() => {
      try {
        parseCodecKeys(short);
      } catch (err) {
        return err as Error;
      }
    })();
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error?.message).toMatch(/^CODEC_KEY decodes to 16 bytes; it must be 32 bytes/);
    expect(error?.message).not.toContain(short);
    expect(() => parseCodecKeys(`${randomBytes(32).toString('base64')},not base64!`)).toThrow(
      /^key 2 of CODEC_KEY is not base64/,
    );
    expect(() => parseCodecKeys('')).toThrow(/CODEC_KEY is not base64/);
  });
});

describe('loadPayloadCodec', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(tmpdir(), 'codec-'));
  });
  afterEach(async () => {
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('generates a private key file on first use and reuses it', async () => {
    const first = await loadPayloadCodec({ dataDir });
    expect(first.source).toBe('generated');
    expect((await fs.stat(first.keyFile)).mode & 0o777).toBe(0o600);
    const [encoded] = await first.codec.encode([toPayload(SECRET)]);

    const second = await loadPayloadCodec({ dataDir });
    expect(second.source).toBe('file');
    expect(second.codec.keyId).toBe(first.codec.keyId);
    expect(defaultPayloadConverter.fromPayload((await second.codec.decode([encoded]))[0])).toBe(SECRET);
  });

  it('encrypts with CODEC_KEY and keeps an earlier key file for reading old payloads', async () => {
    const generated = await loadPayloadCodec({ dataDir });
    const [old] = await generated.codec.encode([toPayload('old')]);
    const configured = randomBytes(32);
    const loaded = await loadPayloadCodec({ dataDir, keys: [configured] });
    expect(loaded.source).toBe('CODEC_KEY');
    expect(loaded.codec.keyId).toBe(codecKey(configured).id);
    expect(defaultPayloadConverter.fromPayload((await loaded.codec.decode([old]))[0])).toBe('old');
  });

  it('refuses a damaged key file, naming the file', async () => {
    await fs.writeFile(path.join(dataDir, 'codec.key'), 'short\n');
    await expect(loadPayloadCodec({ dataDir })).rejects.toThrow(/codec\.key decodes to 3 bytes/);
  });
});

/**
 * Deterministic jitter, computed as the server computes it so that a schedule fires at the same
 * actual times here as there: FarmHash's 32-bit fingerprint of Go's binary encoding of the
 * nominal time followed by the jitter seed, scaled onto [0, maxJitter) in whole milliseconds.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function rotateRight32(value: number, bits: number): number {
  return ((value >>> bits) | (value << (32 - bits))) >>> 0;
}

/** Murmur3's finaliser. */
function finalMix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Murmur3's step that folds a 32-bit word into the running hash. */
function murmurCombine(a: number, h: number): number {
  a = Math.imul(a, C1);
  a = rotateRight32(a, 17);
  a = Math.imul(a, C2);
  h ^= a;
  h = rotateRight32(h, 19);
  return (Math.imul(h, 5) + 0xe6546b64) >>> 0;
}

function word(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

function hashUpTo4(bytes: Uint8Array): number {
  let b = 0;
  let c = 9;
  for (const byte of bytes) {
    // Bytes are read as signed chars here.
    const signed = byte > 127 ? byte - 256 : byte;
    b = (Math.imul(b, C1) + signed) >>> 0;
    c ^= b;
  }
  return finalMix(murmurCombine(b, murmurCombine(bytes.length, c >>> 0)));
}

function hash5To12(bytes: Uint8Array): number {
  const length = bytes.length;
  let a = length;
  let b = Math.imul(length, 5) >>> 0;
  let c = 9;
  const d = b;
  a = (a + word(bytes, 0)) >>> 0;
  b = (b + word(bytes, length - 4)) >>> 0;
  c = (c + word(bytes, (length >>> 1) & 4)) >>> 0;
  return finalMix(murmurCombine(c, murmurCombine(b, murmurCombine(a, d))));
}

function hash13To24(bytes: Uint8Array): number {
  const length = bytes.length;
  let a = word(bytes, (length >>> 1) - 4);
  const b = word(bytes, 4);
  const c = word(bytes, length - 8);
  const d = word(bytes, length >>> 1);
  const e = word(bytes, 0);
  const f = word(bytes, length - 4);
  let h = (Math.imul(d, C1) + length) >>> 0;
  a = (rotateRight32(a, 12) + f) >>> 0;
  h = (murmurCombine(c, h) + a) >>> 0;
  a = (rotateRight32(a, 3) + c) >>> 0;
  h = (murmurCombine(e, h) + a) >>> 0;
  a = (rotateRight32((a + f) >>> 0, 12) + d) >>> 0;
  h = (murmurCombine(b, h) + a) >>> 0;
  return finalMix(h);
}

function mixedWord(bytes: Uint8Array, at: number): number {
  return Math.imul(rotateRight32(Math.imul(word(bytes, at), C1), 17), C2) >>> 0;
}

function mixRound(h: number, value: number): number {
  h = rotateRight32((h ^ value) >>> 0, 19);
  return (Math.imul(h, 5) + 0xe6546b64) >>> 0;
}

function hashOver24(bytes: Uint8Array): number {
  const length = bytes.length;
  let h = length;
  let g = Math.imul(C1, length) >>> 0;
  let f = g;
  h = mixRound(mixRound(h, mixedWord(bytes, length - 4)), mixedWord(bytes, length - 16));
  g = mixRound(mixRound(g, mixedWord(bytes, length - 8)), mixedWord(bytes, length - 12));
  f = (rotateRight32((f + mixedWord(bytes, length - 20)) >>> 0, 19) + 113) >>> 0;
  let at = 0;
  for (let remaining = length; remaining > 20; remaining -= 20, at += 20) {
    const a = word(bytes, at);
    const b = word(bytes, at + 4);
    const c = word(bytes, at + 8);
    const d = word(bytes, at + 12);
    const e = word(bytes, at + 16);
    h = (h + a) >>> 0;
    g = (g + b) >>> 0;
    f = (f + c) >>> 0;
    h = (murmurCombine(d, h) + e) >>> 0;
    g = (murmurCombine(c, g) + a) >>> 0;
    f = (murmurCombine((b + Math.imul(e, C1)) >>> 0, f) + d) >>> 0;
    f = (f + g) >>> 0;
    g = (g + f) >>> 0;
  }
  g = Math.imul(rotateRight32(g, 11), C1) >>> 0;
  g = Math.imul(rotateRight32(g, 17), C1) >>> 0;
  f = Math.imul(rotateRight32(f, 11), C1) >>> 0;
  f = Math.imul(rotateRight32(f, 17), C1) >>> 0;
  h = rotateRight32((h + g) >>> 0, 19);
  h = (Math.imul(h, 5) + 0xe6546b64) >>> 0;
  h = Math.imul(rotateRight32(h, 17), C1) >>> 0;
  h = rotateRight32((h + f) >>> 0, 19);
  h = (Math.imul(h, 5) + 0xe6546b64) >>> 0;
  h = Math.imul(rotateRight32(h, 17), C1) >>> 0;
  return h;
}

/** FarmHash Fingerprint32 (the "mk" 32-bit hash), as an unsigned 32-bit number. */
export function farmFingerprint32(bytes: Uint8Array): number {
  if (bytes.length <= 4) return hashUpTo4(bytes);
  if (bytes.length <= 12) return hash5To12(bytes);
  if (bytes.length <= 24) return hash13To24(bytes);
  return hashOver24(bytes);
}

/** Seconds from 0001-01-01 to 1970-01-01, the base of Go's internal time encoding. */
const GO_SECONDS_BEFORE_EPOCH = 62_135_596_800n;

/** Go's `time.Time.MarshalBinary` for a UTC time with whole seconds (the form nominal times have). */
function goTimeBinary(epochSeconds: number): Uint8Array {
  const bytes = new Uint8Array(15);
  const view = new DataView(bytes.buffer);
  bytes[0] = 1; // encoding version 1
  view.setBigInt64(1, BigInt(epochSeconds) + GO_SECONDS_BEFORE_EPOCH);
  view.setInt32(9, 0); // nanoseconds
  view.setInt16(13, -1); // -1 marks UTC
  return bytes;
}

const encoder = new TextEncoder();

/**
 * Jitter in whole milliseconds for a nominal time (epoch seconds), in [0, maxJitterMs), or 0
 * when maxJitterMs is 0 or less. `seed` is the server's jitter seed: "<namespace id>-<schedule id>".
 */
export function jitterMs(seed: string, nominalEpochSeconds: number, maxJitterMs: number): number {
  const range = BigInt(Math.min(Math.max(Math.trunc(maxJitterMs), 0), 0xffffffff));
  if (range === 0n) return 0;
  const time = goTimeBinary(nominalEpochSeconds);
  const seedBytes = encoder.encode(seed);
  const input = new Uint8Array(time.length + seedBytes.length);
  input.set(time);
  input.set(seedBytes, time.length);
  return Number((BigInt(farmFingerprint32(input)) * range) >> 32n);
}

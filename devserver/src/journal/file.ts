/**
 * An append-only file of framed records: [length u32][crc32 u32][utf-8 payload]. A torn tail (a
 * crash mid-write) fails its length or checksum and is cut off on open; everything before it was
 * acknowledged only after fdatasync, so nothing acknowledged is lost.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';

const HEADER_BYTES = 8;

export function frame(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(body.length, 0);
  header.writeUInt32BE(crc32(body), 4);
  return Buffer.concat([header, body]);
}

/** The records of a journal file and the offset where valid data ends. */
export function readRecords(file: string): { records: string[]; validBytes: number } {
  if (!existsSync(file)) return { records: [], validBytes: 0 };
  const data = readFileSync(file);
  const records: string[] = [];
  let offset = 0;
  while (offset + HEADER_BYTES <= data.length) {
    const length = data.readUInt32BE(offset);
    const checksum = data.readUInt32BE(offset + 4);
    const end = offset + HEADER_BYTES + length;
    if (end > data.length) break;
    const body = data.subarray(offset + HEADER_BYTES, end);
    if (crc32(body) !== checksum) break;
    records.push(body.toString('utf8'));
    offset = end;
  }
  return { records, validBytes: offset };
}

export class JournalFile {
  private constructor(
    readonly path: string,
    private handle: FileHandle,
    private bytes: number,
  ) {}

  /** Opens (creating) the file for appending, cutting off a torn tail first. */
  static async open(file: string, validBytes: number): Promise<JournalFile> {
    // The journal holds every workflow's history: readable by the server's own user only.
    const handle = await open(file, 'a+', 0o600);
    await handle.chmod(0o600);
    const { size } = await handle.stat();
    if (size > validBytes) {
      await handle.truncate(validBytes);
      await handle.datasync();
    }
    return new JournalFile(file, handle, validBytes);
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** Appends records and returns once they are on disk. */
  async append(payloads: readonly string[]): Promise<void> {
    if (payloads.length === 0) return;
    const buffer = Buffer.concat(payloads.map(frame));
    await this.handle.write(buffer);
    await this.handle.datasync();
    this.bytes += buffer.length;
  }

  /** Replaces the whole file with `payloads` atomically (compaction), then keeps appending to it. */
  async rewrite(payloads: readonly string[]): Promise<void> {
    const tmp = `${this.path}.compact-${process.pid}`;
    const fd = openSync(tmp, 'w', 0o600);
    let bytes = 0;
    try {
      for (const payload of payloads) {
        const framed = frame(payload);
        writeSync(fd, framed);
        bytes += framed.length;
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    await this.handle.close();
    renameSync(tmp, this.path);
    const dir = openSync(path.dirname(path.resolve(this.path)), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    this.handle = await open(this.path, 'a+');
    this.bytes = bytes;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

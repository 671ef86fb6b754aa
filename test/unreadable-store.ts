/**
 * A backup store whose objects pass `verify` but break off half-way when read: what a restore meets
 * when the disk or the network fails between checking a backup and using it.
 */
import { Readable } from 'node:stream';
import type { BackupStore } from '../engines/types';

export function breaksWhileReading(store: BackupStore): BackupStore {
  return {
    put: (key, data) => store.put(key, data),
    verify: (object) => store.verify(object),
    delete: (key) => store.delete(key),
    exists: (key) => store.exists(key),
    get(key) {
      const source = store.get(key);
      return Readable.from(
        (async function* () {
          for await (const chunk of source as AsyncIterable<Buffer>) {
            yield chunk.subarray(0, Math.ceil(chunk.length / 2));
            break;
          }
          source.destroy();
          throw new Error(`reading backup ${key} failed half-way (test)`);
        })(),
      );
    },
  };
}

import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ProviderStateError } from '../errors';
import { StateStore, stateFilePath } from './state-store';

describe('StateStore', () => {
  let baseDir: string;

  beforeEach(async () => {
    baseDir = await fs.mkdtemp(join(tmpdir(), 'dbcluster-state-'));
  });

  afterEach(async () => {
    await fs.rm(baseDir, { recursive: true, force: true });
  });

  it('starts empty and persists every concurrent change', async () => {
    const store = await StateStore.open(baseDir);
    expect(store.state.nodes).toEqual({});
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.update((state) => (state.ports[String(21000 + i)] = `owner${i}`))),
    );
    const reopened = await StateStore.open(baseDir);
    expect(Object.keys(reopened.state.ports)).toHaveLength(20);
    expect(reopened.state.ports['21019']).toBe('owner19');
    // Temp files are renamed away, never left behind.
    expect(await fs.readdir(baseDir)).toEqual(['state.json']);
  });

  it('refuses a corrupt state file and leaves it untouched', async () => {
    await fs.writeFile(stateFilePath(baseDir), '{"version":1,"nodes":');
    await expect(StateStore.open(baseDir)).rejects.toThrow(ProviderStateError);
    await expect(StateStore.open(baseDir)).rejects.toThrow(/state\.json is not a valid provider state/);
    expect(await fs.readFile(stateFilePath(baseDir), 'utf8')).toBe('{"version":1,"nodes":');
  });
});

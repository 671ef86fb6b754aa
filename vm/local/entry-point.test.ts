import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { projectRoot, resolveNodeEntry } from './entry-point';

describe('resolveNodeEntry', () => {
  let root: string;
  const source = () => join(root, 'tool', 'main.ts');
  const compiled = () => join(root, 'dist', 'tool', 'main.js');

  async function write(path: string, secondsAgo: number): Promise<void> {
    await fs.mkdir(join(path, '..'), { recursive: true });
    await fs.writeFile(path, '');
    const time = new Date(Date.now() - secondsAgo * 1000);
    await fs.utimes(path, time, time);
  }

  beforeEach(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'dbcluster-entry-'));
    // tsx resolves from the project root's node_modules, as it would in a checkout.
    await fs.symlink(join(projectRoot(), 'node_modules'), join(root, 'node_modules'));
  });

  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('runs the compiled file when it is newer than the source', async () => {
    await write(source(), 60);
    await write(compiled(), 10);
    expect(resolveNodeEntry('tool/main', ['--flag'], root)).toEqual({
      command: process.execPath,
      args: [compiled(), '--flag'],
    });
  });

  it('runs the source through tsx when the build is older or missing', async () => {
    await write(source(), 10);
    await write(compiled(), 60);
    const stale = resolveNodeEntry('tool/main', ['x'], root);
    expect(stale.args.slice(0, 1)).toEqual(['--import']);
    expect(stale.args[1]).toMatch(/^file:\/\/.*tsx/);
    expect(stale.args.slice(2)).toEqual([source(), 'x']);

    await fs.rm(compiled());
    expect(resolveNodeEntry('tool/main', [], root).args.slice(2)).toEqual([source()]);
  });

  it('runs a build without its source (a deployed dist)', async () => {
    await write(compiled(), 10);
    expect(resolveNodeEntry('tool/main', [], root).args).toEqual([compiled()]);
  });

  it('says what is missing', () => {
    expect(() => resolveNodeEntry('tool/absent', [], root)).toThrow(
      /neither .*dist\/tool\/absent\.js nor .*tool\/absent\.ts exists/,
    );
  });

  it('finds this project', () => {
    expect(resolveNodeEntry('vm/local/front').args.join(' ')).toMatch(/vm\/local\/front\.(ts|js)$/);
  });
});

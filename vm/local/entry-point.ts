/**
 * How to run one of the project's TypeScript files as its own Node process. The product runs compiled
 * JavaScript from `dist/`; tests run from sources. The compiled file is used when it exists and is at
 * least as new as its source, otherwise the source runs through tsx (a devDependency).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface NodeCommand {
  command: string;
  args: string[];
}

/** The directory holding the project's package.json (this file lives at `vm/local/` or `dist/vm/local/`). */
export function projectRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}

/**
 * Command that runs `modulePath` (relative to the project root, without extension, e.g. `vm/local/front`)
 * with `args`. Throws when neither a current build nor the source with tsx is available.
 */
export function resolveNodeEntry(modulePath: string, args: string[] = [], root = projectRoot()): NodeCommand {
  const source = join(root, `${modulePath}.ts`);
  const compiled = join(root, 'dist', `${modulePath}.js`);
  const sourceTime = existsSync(source) ? statSync(source).mtimeMs : undefined;
  const compiledTime = existsSync(compiled) ? statSync(compiled).mtimeMs : undefined;

  if (compiledTime !== undefined && (sourceTime === undefined || compiledTime >= sourceTime)) {
    return { command: process.execPath, args: [compiled, ...args] };
  }
  if (sourceTime !== undefined) {
    let tsxLoader: string;
    try {
      tsxLoader = require.resolve('tsx', { paths: [root] });
    } catch (error) {
      throw new Error(
        `${compiled} is missing or older than ${source} and tsx is not installed; run "npm run build" or "npm install"`,
        { cause: error },
      );
    }
    return { command: process.execPath, args: ['--import', pathToFileURL(tsxLoader).href, source, ...args] };
  }
  throw new Error(`neither ${compiled} nor ${source} exists`);
}

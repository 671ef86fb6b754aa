/**
 * Builds the project before measuring, so the devserver bin runs the compiled JavaScript rather than
 * the TypeScript through tsx. tsc still emits when another file of the tree has a type error, so a
 * failed build is reported and the benchmark goes on as long as the compiled devserver is current.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './paths';

export interface BuildOutcome {
  /** tsc exited 0. */
  succeeded: boolean;
  /** tsc's diagnostics when it did not. */
  diagnostics: string;
  /** The bin will run dist/devserver/src/main.js (newer than every devserver source file). */
  compiledDevserverIsCurrent: boolean;
}

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      newest = Math.max(newest, statSync(full).mtimeMs);
    }
  }
  return newest;
}

/** The same rule the bin applies when it chooses between dist/ and tsx. */
export function compiledDevserverIsCurrent(): boolean {
  try {
    const compiled = statSync(path.join(PROJECT_ROOT, 'dist', 'devserver', 'src', 'main.js')).mtimeMs;
    return compiled >= newestSourceMtime(path.join(PROJECT_ROOT, 'devserver', 'src'));
  } catch {
    return false;
  }
}

/**
 * Rebuilds when devserver sources changed since the last build (other people edit the tree while
 * the benchmark runs); called between measurements, never during one. Returns whether the bin will
 * now run compiled code.
 */
export function ensureCompiledDevserver(log: (message: string) => void): boolean {
  if (compiledDevserverIsCurrent()) return true;
  log('devserver sources changed since the last build; rebuilding');
  return buildProject().compiledDevserverIsCurrent;
}

export function buildProject(): BuildOutcome {
  const run = spawnSync('npm', ['run', '--silent', 'build'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  return {
    succeeded: run.status === 0,
    diagnostics: `${run.stdout ?? ''}${run.stderr ?? ''}`.trim(),
    compiledDevserverIsCurrent: compiledDevserverIsCurrent(),
  };
}

/** Where the benchmark finds the project and the devserver executable. */
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const DEVSERVER_BIN = path.join(PROJECT_ROOT, 'devserver', 'bin', 'temporal-devserver');

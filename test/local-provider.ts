/**
 * A local VM provider over a fresh temp directory, for suites that need real nodes:
 *
 *   let env: Awaited<ReturnType<typeof createTestProvider>>;
 *   beforeAll(async () => (env = await createTestProvider()));
 *   afterAll(() => env.cleanup());
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { LocalVmProvider, reapAll } from '../vm/local';

export interface TestProvider {
  provider: LocalVmProvider;
  baseDir: string;
  /** Stops every process, reaps anything left and removes the directory. */
  cleanup(): Promise<void>;
}

export async function createTestProvider(): Promise<TestProvider> {
  const baseDir = await fs.mkdtemp(join(tmpdir(), 'dbcluster-vm-'));
  // mkdtemp makes the directory private; engine users (postgres, mysql) must be able to reach their nodes.
  await fs.chmod(baseDir, 0o755);
  // Quiet by default; VM_TEST_LOG=1 shows provisioning, restarts and failures.
  const logger = process.env.VM_TEST_LOG ? (msg: string, fields?: object) => console.log(msg, fields ?? {}) : () => {};
  const provider = new LocalVmProvider({ baseDir, logger });
  return {
    provider,
    baseDir,
    async cleanup() {
      try {
        await provider.shutdown();
      } finally {
        await reapAll(baseDir);
        await fs.rm(baseDir, { recursive: true, force: true });
      }
    },
  };
}

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

import type { EngineCredentials, EngineName, EngineNode } from '../engines/types';
import { LocalVmProvider, reapAll } from '../vm/local';

/** A node as the engine drivers see it, plus the address clients use (through its firewall). */
export interface TestNode extends EngineNode {
  publicHost: string;
  publicPort: number;
}

export interface TestNodeSpec {
  engine: EngineName;
  version: string;
  cluster: string;
  number: number;
  credentials: EngineCredentials;
  ramMb?: number;
  diskGb?: number;
  /** The firewall's allowlist from the start (default: open to all). */
  allowlist?: string[];
}

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

/** Provisions node `<cluster><number>` on the test provider and describes it for a driver. */
export async function provisionTestNode(env: TestProvider, spec: TestNodeSpec): Promise<TestNode> {
  const name = `${spec.cluster}${spec.number}`;
  const provisioned = await env.provider.provision({
    cluster: spec.cluster,
    node: name,
    plan: { cpu: 1, ramMb: spec.ramMb ?? 512, diskGb: spec.diskGb ?? 1 },
    allowlist: spec.allowlist ?? [],
  });
  return {
    name,
    cluster: spec.cluster,
    engine: spec.engine,
    version: spec.version,
    number: spec.number,
    dataDir: provisioned.dataDir,
    host: provisioned.host,
    port: provisioned.privatePort,
    credentials: spec.credentials,
    publicHost: provisioned.publicHost,
    publicPort: provisioned.publicPort,
  };
}

/** A driver logger that remembers every line, to prove no password is ever logged. */
export function recordingLogger(): {
  logger: (message: string, fields?: Record<string, unknown>) => void;
  lines: string[];
} {
  const lines: string[] = [];
  return { logger: (message, fields) => lines.push(`${message} ${JSON.stringify(fields ?? {})}`), lines };
}

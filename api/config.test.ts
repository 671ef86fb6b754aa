import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError, readProductConfig, resolveApiTokens } from './config';

const TOKEN = 'abcdefghijklmnopqrstuvwxyz012345';

function errorOf(env: NodeJS.ProcessEnv): Error {
  try {
    readProductConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return err as Error;
  }
  throw new Error(`no error for ${JSON.stringify(env)}`);
}

describe('readProductConfig', () => {
  it('reads the Web UI port and the one origin allowed to use the codec endpoint', () => {
    const config = readProductConfig({ UI_PORT: '9233', CODEC_CORS_ORIGIN: 'https://temporal-ui.example.com:8443' });
    expect(config).toMatchObject({ uiPort: 9233, codecCorsOrigin: 'https://temporal-ui.example.com:8443' });
    expect(readProductConfig({ CODEC_CORS_ORIGIN: 'http://localhost:8233/' }).codecCorsOrigin).toBe(
      'http://localhost:8233',
    );
    for (const bad of ['*', 'temporal-ui.example.com', 'https://ui.example.com/path', 'ftp://ui.example.com', 'null']) {
      expect(() => readProductConfig({ CODEC_CORS_ORIGIN: bad }), bad).toThrow(/CODEC_CORS_ORIGIN must be one origin/);
    }
    expect(() => readProductConfig({ UI_PORT: '70000' })).toThrow(/UI_PORT must be a port number/);
  });

  it('needs no variable: every one has a default', () => {
    const config = readProductConfig({});
    expect(config).toMatchObject({
      dataDir: path.resolve('.data'),
      host: '127.0.0.1',
      port: 8080,
      temporal: { address: undefined, namespace: 'default', embeddedPort: 7233, tls: false },
      taskQueue: 'clusters',
      apiTokens: undefined,
      codecKeys: undefined,
      logLevel: 'info',
      uiPort: 8233,
      codecCorsOrigin: undefined,
    });
    expect(config.activities.dataDir).toBe(config.dataDir);
    expect(config.activities.worker.maxConcurrentActivities).toBe(16);
  });

  it('reads every variable, the worker ones included', () => {
    const key = randomBytes(32);
    const config = readProductConfig({
      DATA_DIR: '/srv/dbco',
      HOST: '0.0.0.0',
      PORT: '0',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'databases',
      TEMPORAL_PORT: '17233',
      TEMPORAL_API_KEY: 'cloud-key',
      TASK_QUEUE: 'db-clusters',
      API_TOKENS: `ops:admin:${TOKEN},grafana:read:${TOKEN.toUpperCase()}`,
      CODEC_KEY: key.toString('base64'),
      LOG_LEVEL: 'DEBUG',
      WORKER_MAX_CONCURRENT_ACTIVITIES: '4',
      VM_HOST: '127.0.0.5',
    });
    expect(config).toMatchObject({
      dataDir: '/srv/dbco',
      host: '0.0.0.0',
      port: 0,
      temporal: {
        address: 'temporal.internal:7233',
        namespace: 'databases',
        embeddedPort: 17233,
        apiKey: 'cloud-key',
        tls: true,
      },
      taskQueue: 'db-clusters',
      apiTokens: [
        { name: 'ops', role: 'admin', token: TOKEN },
        { name: 'grafana', role: 'read', token: TOKEN.toUpperCase() },
      ],
      logLevel: 'debug',
      activities: { dataDir: '/srv/dbco', vmHost: '127.0.0.5', worker: { maxConcurrentActivities: 4 } },
    });
    expect(config.codecKeys).toEqual([key]);
  });

  it('reads a client certificate pair for mTLS, and refuses half of one', () => {
    const config = readProductConfig({
      TEMPORAL_ADDRESS: '[::1]:7233',
      TEMPORAL_TLS_CERT: 'client.pem',
      TEMPORAL_TLS_KEY: '/etc/dbco/client.key',
    });
    expect(config.temporal).toMatchObject({
      tls: true,
      clientCert: { certFile: path.resolve('client.pem'), keyFile: '/etc/dbco/client.key' },
    });
    expect(errorOf({ TEMPORAL_ADDRESS: 'x:1', TEMPORAL_TLS_CERT: 'c.pem' }).message).toMatch(
      /TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together/,
    );
    expect(errorOf({ TEMPORAL_TLS: 'true' }).message).toMatch(/apply to TEMPORAL_ADDRESS, which is unset/);
    expect(errorOf({ TEMPORAL_ADDRESS: 'x:1', TEMPORAL_TLS: 'maybe' }).message).toBe(
      'TEMPORAL_TLS must be true or false, not "maybe"',
    );
  });

  it('names the variable of a bad value', () => {
    expect(errorOf({ PORT: 'http' }).message).toBe('PORT must be a port number from 0 to 65535, not "http"');
    expect(errorOf({ PORT: '70000' }).message).toMatch(/^PORT must be a port number/);
    expect(errorOf({ TEMPORAL_PORT: '-1' }).message).toMatch(/^TEMPORAL_PORT must be a port number/);
    expect(errorOf({ TEMPORAL_ADDRESS: 'http://temporal:7233' }).message).toMatch(
      /^TEMPORAL_ADDRESS must be host:port/,
    );
    expect(errorOf({ TEMPORAL_NAMESPACE: 'a b' }).message).toMatch(/^TEMPORAL_NAMESPACE "a b" is not a valid/);
    expect(errorOf({ LOG_LEVEL: 'loud' }).message).toMatch(/^LOG_LEVEL must be one of trace, debug/);
    expect(errorOf({ TASK_QUEUE: 'q'.repeat(256) }).message).toMatch(/^TASK_QUEUE/);
    expect(errorOf({ WORKER_SHUTDOWN_GRACE_MS: 'soon' }).message).toMatch(/^WORKER_SHUTDOWN_GRACE_MS/);
    expect(errorOf({ CODEC_KEY: randomBytes(31).toString('base64') }).message).toMatch(/^CODEC_KEY decodes to 31/);
  });

  it('never quotes a secret in its errors', () => {
    const short = 'tooshort';
    const message = errorOf({ API_TOKENS: `ops:admin:${short}` }).message;
    expect(message).toMatch(/API_TOKENS entry 1 \(ops\)/);
    expect(message).not.toContain(short);
    expect(errorOf({ API_TOKENS: `ops:owner:${TOKEN}` }).message).not.toContain(TOKEN);
    expect(errorOf({ API_TOKENS: `a:admin:${TOKEN},b:read:${TOKEN}` }).message).not.toContain(TOKEN);
    const badKey = 'c2VjcmV0';
    expect(errorOf({ CODEC_KEY: badKey }).message).not.toContain(badKey);
  });

  it('refuses an API_TOKENS with no entry rather than locking everyone out', () => {
    expect(errorOf({ API_TOKENS: ' , ' }).message).toMatch(/API_TOKENS has no entry/);
  });
});

describe('resolveApiTokens', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(tmpdir(), 'api-config-'));
  });
  afterEach(async () => {
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('generates an admin token on the first run, private to the owner, and reuses it', async () => {
    const first = await resolveApiTokens({ dataDir });
    expect(first.generated).toBe(true);
    expect(first.tokenFile).toBe(path.join(dataDir, 'api-token'));
    expect(first.tokens).toEqual([{ name: 'admin', role: 'admin', token: expect.stringMatching(/^[\w-]{43}$/) }]);
    expect((await fs.stat(first.tokenFile!)).mode & 0o777).toBe(0o600);
    expect((await fs.readFile(first.tokenFile!, 'utf8')).trim()).toBe(first.tokens[0].token);

    const second = await resolveApiTokens({ dataDir });
    expect(second.generated).toBe(false);
    expect(second.tokens).toEqual(first.tokens);
  });

  it('uses API_TOKENS when given, without touching the data directory', async () => {
    const configured = [{ name: 'ops', role: 'admin' as const, token: TOKEN }];
    expect(await resolveApiTokens({ dataDir, apiTokens: configured })).toEqual({
      tokens: configured,
      generated: false,
    });
    expect(await fs.readdir(dataDir)).toEqual([]);
  });

  it('refuses a token file that holds no usable token', async () => {
    await fs.writeFile(path.join(dataDir, 'api-token'), 'x\n');
    await expect(resolveApiTokens({ dataDir })).rejects.toThrow(/does not hold a token of at least 16 characters/);
  });
});

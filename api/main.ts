/**
 * The product's main command (`npm start` → `node dist/api/main.js`): Temporal (the embedded
 * devserver with its journal under DATA_DIR, or TEMPORAL_ADDRESS), the worker with the real
 * activities, and the HTTP API, in one process.
 *
 * Shutdown (SIGTERM, SIGINT, or a part failing) undoes the start in reverse: the API stops
 * accepting requests, the worker stops polling and lets running activities finish (or leaves them
 * to be retried), every engine process the product started is stopped (they are resumed on the next
 * start), the connections close and the devserver flushes its journal.
 */
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type express from 'express';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadPayloadCodec } from '../activities/codec';
import { createDefaultDeps } from '../activities/default-deps';
import { createActivities } from '../activities/index';
import { createWorker, DEFAULT_WORKFLOWS_PATH } from '../activities/worker';
import { defaultSiteDir } from '../devserver/src/http/ui-server';
import { DevServer } from '../devserver/src/server';
import { createApp } from './app';
import { TokenVerifier } from './auth';
import { prepareDataDir } from './data-dir';
import { ConfigurationError, readProductConfig, resolveApiTokens, type ProductConfig } from './config';
import { createLogger, fieldLogger, temporalLogger } from './logger';
import { WebUiGate } from './web-ui';

/** The search attributes the cluster workflows set; the namespace must know them before clusters start. */
export const PRODUCT_SEARCH_ATTRIBUTES = ['ClusterName', 'ClusterEngine', 'ClusterOperation'] as const;
const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
/** How long open HTTP requests may take to finish at shutdown before their connections are cut. */
const HTTP_DRAIN_MS = 5_000;

export interface RunningProduct {
  /** Base URL of the HTTP API. */
  url: string;
  /** The Temporal frontend the product uses (the embedded devserver's, or TEMPORAL_ADDRESS). */
  temporalAddress: string;
  /** The Web UI (with the embedded devserver only). */
  uiUrl?: string;
  /** Settles when the product has stopped by itself (a part failed); resolves with that failure. */
  readonly failed: Promise<Error>;
  /** Stops everything, in reverse order of start. Safe to call more than once. */
  shutdown(reason: string): Promise<void>;
}

/** One started part and how to stop it. */
interface Part {
  name: string;
  stop(): Promise<void>;
}

export async function startProduct(config: ProductConfig, logger: Logger): Promise<RunningProduct> {
  const parts: Part[] = [];
  let failedWith: (error: Error) => void = () => {};
  const failed = new Promise<Error>((resolve) => (failedWith = resolve));
  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason }, 'shutting down');
      for (const part of parts.reverse()) {
        try {
          await part.stop();
          logger.debug({ part: part.name }, 'stopped');
        } catch (err) {
          logger.error({ part: part.name, err }, 'failed to stop cleanly');
        }
      }
      logger.info('stopped');
    })();
    return stopping;
  };

  try {
    await prepareDataDir(config.dataDir, logger);
    const { codec, source, keyFile } = await loadPayloadCodec({ dataDir: config.dataDir, keys: config.codecKeys });
    logger.info(
      { keyId: codec.keyId, ...(source === 'CODEC_KEY' ? {} : { keyFile }) },
      source === 'generated' ? 'payload encryption key generated' : 'payload encryption on',
    );
    const dataConverter: DataConverter = { payloadCodecs: [codec] };
    installTemporalRuntime(logger);
    const tokens = await resolveApiTokens(config);
    const webUi = new WebUiGate({
      verifier: new TokenVerifier({ tokens: tokens.tokens }),
      codec,
      namespace: config.temporal.namespace,
      codecCorsOrigin: config.codecCorsOrigin,
      logger: logger.child({ component: 'web-ui' }),
    });

    let address = config.temporal.address;
    let uiUrl: string | undefined;
    if (address === undefined) {
      const devserver = await startDevServer(config, logger, webUi);
      parts.push({ name: 'devserver', stop: () => devserver.stop() });
      address = `127.0.0.1:${devserver.port}`;
      uiUrl = `http://${urlHost(config.host)}:${devserver.uiPort}`;
    }
    const connectionOptions = await temporalConnectionOptions(config, address);
    const connection = await Connection.connect(connectionOptions);
    parts.push({ name: 'temporal client', stop: () => connection.close() });
    const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter });
    await registerSearchAttributes(connection, config.temporal.namespace, logger);

    const nativeConnection = await NativeConnection.connect(connectionOptions);
    parts.push({ name: 'worker connection', stop: () => nativeConnection.close() });
    const deps = await createDefaultDeps(config.activities, {
      temporalClient: client,
      logger: fieldLogger(logger.child({ component: 'activities' })),
    });
    parts.push({
      name: 'engines',
      async stop() {
        // Every engine, firewall and endpoint process this product started; `resume` brings them back.
        await deps.vm.shutdown();
        await deps.close();
      },
    });

    const worker = await createWorker({
      workflowBundle: await bundleWorkflows(logger),
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.taskQueue,
      activities: createActivities(deps),
      dataConverter,
      ...config.activities.worker,
    });
    const running = worker.run();
    running.then(
      () => !stopping && failedWith(new Error('the worker stopped by itself')),
      (err: Error) => !stopping && failedWith(err),
    );
    parts.push({ name: 'worker', stop: () => stopWorker(worker, running) });

    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    const apiDeps = {
      client,
      taskQueue: config.taskQueue,
      auth: { tokens: tokens.tokens },
      auditLog: deps.audit,
      logger: logger.child({ component: 'api' }),
      metrics,
      webUi,
    };
    const app = createApp(apiDeps);
    const server = await listen(app, config.host, config.port);
    parts.push({ name: 'http', stop: () => closeServer(server) });
    const url = `http://${urlHost(config.host)}:${(server.address() as AddressInfo).port}`;

    if (tokens.tokenFile) {
      // Relative when under the working directory (as with the default DATA_DIR), so the hint reads `.data/api-token`.
      const relative = path.relative(process.cwd(), tokens.tokenFile);
      const file = relative.startsWith('..') || path.isAbsolute(relative) ? tokens.tokenFile : relative;
      logger.info(
        { tokenFile: tokens.tokenFile },
        `${tokens.generated ? 'generated an admin API token' : 'admin API token'} in ${file}; use it with: ` +
          `curl -H "Authorization: Bearer $(cat ${file})" ${url}/v1/clusters`,
      );
    }
    logger.info(
      {
        api: url,
        temporal: address,
        embedded: config.temporal.address === undefined,
        namespace: config.temporal.namespace,
        taskQueue: config.taskQueue,
        dataDir: config.dataDir,
        ...(uiUrl ? { ui: uiUrl } : {}),
      },
      `ready: API on ${url}${uiUrl ? `, Temporal Web UI on ${uiUrl} (sign in with an API token)` : ''}`,
    );
    return { url, temporalAddress: address, uiUrl, failed, shutdown };
  } catch (err) {
    await shutdown('startup failed');
    throw err;
  }
}

/** Routes the SDK's log lines into ours and leaves signal handling to this process. */
function installTemporalRuntime(logger: Logger): void {
  Runtime.install({ logger: temporalLogger(logger.child({ component: 'temporal-sdk' })), shutdownSignals: [] });
}

/** The product's workflows, bundled here so the bundler's report is a debug line rather than a page at info. */
async function bundleWorkflows(logger: Logger) {
  const bundler = logger.child(
    { component: 'workflow-bundler' },
    { level: logger.isLevelEnabled('debug') ? logger.level : 'warn' },
  );
  return bundleWorkflowCode({ workflowsPath: DEFAULT_WORKFLOWS_PATH, logger: temporalLogger(bundler) });
}

async function startDevServer(config: ProductConfig, logger: Logger, webUi: WebUiGate): Promise<DevServer> {
  const log = logger.child({ component: 'devserver' });
  const devserver = new DevServer({
    port: config.temporal.embeddedPort,
    ip: '127.0.0.1',
    namespaces: [config.temporal.namespace],
    timeSkipping: false,
    dbFilename: path.join(config.dataDir, 'temporal.db'),
    log: (level, message, fields) => log[level](fields ?? {}, message),
    ui: {
      host: config.host,
      port: config.uiPort,
      siteDir: defaultSiteDir(),
      authorize: webUi.authorize,
      intercept: webUi.intercept,
      settings: webUi.settings,
    },
  });
  try {
    await devserver.start();
  } catch (err) {
    await devserver.stop(0).catch(() => undefined);
    if (/EADDRINUSE|address already in use/i.test(String(err)) && devserver.port !== 0) {
      throw new ConfigurationError(
        `UI_PORT ${config.uiPort} on ${config.host} is in use (another product or Temporal dev server?); set UI_PORT to a free port`,
      );
    }
    if (/EADDRINUSE|address already in use/i.test(String(err))) {
      throw new ConfigurationError(
        `TEMPORAL_PORT ${config.temporal.embeddedPort} is in use (another product or Temporal server?); ` +
          'set TEMPORAL_PORT to a free port, or TEMPORAL_ADDRESS to use that server',
      );
    }
    throw err;
  }
  return devserver;
}

async function temporalConnectionOptions(config: ProductConfig, address: string) {
  const { apiKey, tls, clientCert } = config.temporal;
  if (!tls) return { address };
  const clientCertPair = clientCert
    ? { crt: await fs.readFile(clientCert.certFile), key: await fs.readFile(clientCert.keyFile) }
    : undefined;
  return { address, tls: clientCertPair ? { clientCertPair } : true, ...(apiKey ? { apiKey } : {}) };
}

/**
 * Registers the product's search attributes that the namespace lacks (Keyword). Idempotent; an
 * attribute that exists with another type is a configuration error.
 */
export async function registerSearchAttributes(connection: Connection, namespace: string, logger: Logger) {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const name of PRODUCT_SEARCH_ATTRIBUTES) {
    const type = customAttributes?.[name];
    if (type === undefined || type === null) missing[name] = KEYWORD;
    else if (type !== KEYWORD) {
      throw new ConfigurationError(
        `search attribute ${name} exists in namespace ${namespace} with type ` +
          `${temporal.api.enums.v1.IndexedValueType[type]}; the product needs it as Keyword`,
      );
    }
  }
  if (Object.keys(missing).length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    throw new ConfigurationError(
      `cannot register search attributes ${Object.keys(missing).join(', ')} (Keyword) in namespace ${namespace}: ` +
        `${(err as Error).message}; register them yourself (temporal operator search-attribute create)`,
    );
  }
  logger.info({ searchAttributes: Object.keys(missing), namespace }, 'registered search attributes');
}

async function stopWorker(worker: Worker, running: Promise<void>): Promise<void> {
  if (worker.getState() === 'RUNNING') worker.shutdown();
  await running.catch(() => undefined);
}

function listen(app: express.Express, host: string, port: number): Promise<http.Server> {
  const server = http.createServer(app);
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new ConfigurationError(`PORT ${port} on ${host} is in use; set PORT (and HOST) to a free address`)
          : err,
      ),
    );
    server.listen(port, host, () => resolve(server));
  });
}

/** Stops accepting connections; requests in flight get `HTTP_DRAIN_MS` to finish. */
function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    const cut = setTimeout(() => server.closeAllConnections(), HTTP_DRAIN_MS);
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** Runs the product until SIGTERM/SIGINT (exit 0) or until a part fails (exit 1). */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let config: ProductConfig;
  try {
    config = readProductConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    process.stderr.write(`configuration error: ${err.message}\n`);
    return 2;
  }
  const logger = createLogger({ level: config.logLevel });
  const signalled = new Promise<string>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        logger.info({ signal }, 'signal received');
        resolve(signal);
      });
    }
  });
  let product: RunningProduct;
  try {
    product = await startProduct(config, logger);
  } catch (err) {
    if (err instanceof ConfigurationError) logger.fatal(err.message);
    else logger.fatal({ err }, 'the product could not start');
    return err instanceof ConfigurationError ? 2 : 1;
  }
  const outcome = await Promise.race([
    signalled.then((signal) => ({ reason: signal, code: 0 })),
    product.failed.then((err) => {
      logger.fatal({ err }, 'a part of the product failed');
      return { reason: 'failure', code: 1 };
    }),
  ]);
  await product.shutdown(outcome.reason);
  return outcome.code;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`fatal: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}

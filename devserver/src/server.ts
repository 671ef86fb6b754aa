/** The devserver: clock, store and the three gRPC services on one port. */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { Clock } from './clock';
import { buildService, type Handler, type ServiceHooks } from './grpc';
import type { SearchAttributeType } from './namespaces';
import { executionHandlers } from './services/executions';
import { operatorHandlers } from './services/operator-service';
import { systemHandlers } from './services/system';
import { taskHandlers } from './services/tasks';
import { testServiceHandlers } from './services/test-service';
import { updateHandlers } from './services/updates';
import { visibilityHandlers } from './services/visibility';
import { Store } from './store';

export interface DevServerOptions {
  port: number;
  ip: string;
  namespaces: string[];
  timeSkipping: boolean;
  startUnlocked?: boolean;
  searchAttributes?: { name: string; type: string }[];
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

const MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

export class DevServer {
  readonly clock: Clock;
  readonly store: Store;
  private readonly grpc: Server;
  private boundPort = 0;

  constructor(private readonly options: DevServerOptions) {
    const log = options.log ?? (() => {});
    this.clock = new Clock(options.timeSkipping, {
      onError: (err, label) =>
        log('error', `timer ${label} failed`, { error: err instanceof Error ? err.stack : String(err) }),
    });
    if (options.startUnlocked) this.clock.unlockExternally();
    this.store = new Store(this.clock, (message, fields) => log('debug', message, fields), {
      autoRegisterNamespaces: options.timeSkipping,
    });
    for (const name of options.namespaces) {
      const namespace = this.store.namespaces.ensure(name);
      for (const { name: attribute, type } of options.searchAttributes ?? []) {
        namespace.customSearchAttributes.set(attribute, type as SearchAttributeType);
      }
    }
    const defaultNamespace = options.namespaces[0] ?? 'default';
    const hooks: ServiceHooks = { log: (message, fields) => log('error', message, fields) };
    const workflowHandlers: Record<string, Handler> = {
      ...systemHandlers(this.store, 'memory'),
      ...executionHandlers(this.store),
      ...taskHandlers(this.store),
      ...updateHandlers(this.store),
      ...visibilityHandlers(this.store),
    };
    this.grpc = new Server({
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    });
    for (const [name, handlers] of [
      ['temporal.api.workflowservice.v1.WorkflowService', workflowHandlers],
      ['temporal.api.operatorservice.v1.OperatorService', operatorHandlers(this.store, defaultNamespace)],
      ['temporal.api.testservice.v1.TestService', testServiceHandlers(this.clock)],
    ] as const) {
      const { definition, implementation } = buildService(name, handlers, hooks);
      this.grpc.addService(definition, implementation);
    }
  }

  async start(): Promise<number> {
    const address = this.options.ip.includes(':')
      ? `[${this.options.ip}]:${this.options.port}`
      : `${this.options.ip}:${this.options.port}`;
    this.boundPort = await new Promise<number>((resolve, reject) => {
      this.grpc.bindAsync(address, ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      );
    });
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Stops accepting calls; calls in flight get up to `graceMs` to finish. */
  async stop(graceMs = 2000): Promise<void> {
    this.clock.stop();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.grpc.forceShutdown();
        resolve();
      }, graceMs);
      this.grpc.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}

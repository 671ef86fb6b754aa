/** The devserver: clock, store and the three gRPC services on one port. */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { Clock } from './clock';
import { buildService, type Handler, type ServiceHooks } from './grpc';
import type { ServiceHandlers } from './http/api';
import { UiServer, type UiServerOptions } from './http/ui-server';
import type { SearchAttributeType } from './namespaces';
import { executionHandlers } from './services/executions';
import { operatorHandlers } from './services/operator-service';
import { scheduleHandlers } from './services/schedules';
import { systemHandlers } from './services/system';
import { taskHandlers } from './services/tasks';
import { testServiceHandlers } from './services/test-service';
import { updateHandlers } from './services/updates';
import { visibilityHandlers } from './services/visibility';
import { Scheduler } from './schedules/scheduler';
import type { ScheduleSnapshot } from './schedules/scheduler-state';
import { StoreSchedulerHost } from './schedules/store-host';
import { Journal, type RecoveryReport } from './journal/journal';
import { Store } from './store';

export interface DevServerOptions {
  port: number;
  ip: string;
  namespaces: string[];
  timeSkipping: boolean;
  startUnlocked?: boolean;
  searchAttributes?: { name: string; type: string }[];
  /** Persist everything to this journal file (absent: in memory only). */
  dbFilename?: string;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  /** Serve the Web UI and Temporal's HTTP API (absent: headless). */
  ui?: Omit<UiServerOptions, 'log'>;
}

const MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

export class DevServer {
  readonly clock: Clock;
  readonly store: Store;
  readonly scheduler: Scheduler;
  private readonly schedulerHost: StoreSchedulerHost;
  private readonly grpc: Server;
  private readonly hooks: ServiceHooks;
  /** The handler maps behind the gRPC services, by full service name (the HTTP API calls the same ones). */
  readonly serviceHandlers: ServiceHandlers;
  private ui?: UiServer;
  private boundPort = 0;
  private boundUiPort?: number;
  private journal?: Journal;
  /** Set when started with a journal: what recovery found and how long it took. */
  recovery?: RecoveryReport;

  constructor(private readonly options: DevServerOptions) {
    const log = options.log ?? (() => {});
    this.clock = new Clock(options.timeSkipping, {
      onError: (err, label) =>
        log('error', `timer ${label} failed`, { error: err instanceof Error ? err.stack : String(err) }),
    });
    if (options.startUnlocked) this.clock.unlockExternally();
    this.store = new Store(this.clock, (message, fields) => log('debug', message, fields), {
      autoRegisterNamespaces: options.timeSkipping,
      retention: !options.timeSkipping,
    });
    for (const name of options.namespaces) {
      const namespace = this.store.namespaces.ensure(name);
      for (const { name: attribute, type } of options.searchAttributes ?? []) {
        namespace.customSearchAttributes.set(attribute, type as SearchAttributeType);
      }
    }
    this.schedulerHost = new StoreSchedulerHost(this.store);
    this.scheduler = new Scheduler(this.schedulerHost);
    const defaultNamespace = options.namespaces[0] ?? 'default';
    const hooks: ServiceHooks = { log: (message, fields) => log('error', message, fields) };
    this.hooks = hooks;
    const workflowHandlers: Record<string, Handler> = {
      ...systemHandlers(this.store, options.dbFilename ? 'journal' : 'memory'),
      ...executionHandlers(this.store),
      ...taskHandlers(this.store),
      ...updateHandlers(this.store),
      ...visibilityHandlers(this.store),
      ...scheduleHandlers(this.store, this.scheduler),
    };
    this.grpc = new Server({
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    });
    this.serviceHandlers = {
      'temporal.api.workflowservice.v1.WorkflowService': workflowHandlers,
      'temporal.api.operatorservice.v1.OperatorService': operatorHandlers(this.store, defaultNamespace),
      'temporal.api.testservice.v1.TestService': testServiceHandlers(this.clock),
    };
    for (const [name, handlers] of Object.entries(this.serviceHandlers)) {
      const { definition, implementation } = buildService(name, handlers, hooks);
      this.grpc.addService(definition, implementation);
    }
  }

  async start(): Promise<number> {
    if (this.options.dbFilename) await this.openJournal(this.options.dbFilename);
    const address = this.options.ip.includes(':')
      ? `[${this.options.ip}]:${this.options.port}`
      : `${this.options.ip}:${this.options.port}`;
    this.boundPort = await new Promise<number>((resolve, reject) => {
      this.grpc.bindAsync(address, ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      );
    });
    if (this.options.ui) {
      const log = this.options.log ?? (() => {});
      this.ui = new UiServer(
        { ...this.options.ui, log: (message, fields) => log('error', message, fields) },
        { handlers: this.serviceHandlers, hooks: this.hooks },
      );
      this.boundUiPort = await this.ui.start();
    }
    return this.boundPort;
  }

  /** Rebuilds the server from the journal; from then on no response is sent before its changes are on disk. */
  private async openJournal(file: string): Promise<void> {
    const log = this.options.log ?? (() => {});
    const { journal, report, pendingSchedules } = await Journal.open(file, this.store, (message, fields) =>
      log('error', message, fields),
    );
    this.journal = journal;
    this.recovery = report;
    for (const { state } of pendingSchedules) this.scheduler.restore(state as ScheduleSnapshot);
    journal.attachSchedules({
      snapshotSchedule: (namespace, id) => this.scheduler.snapshot(namespace, id),
      allSchedules: () =>
        this.scheduler.snapshots().map((state) => ({ namespace: state.namespace, id: state.scheduleId, state })),
    });
    this.schedulerHost.onScheduleChanged = (namespace, id) => journal.scheduleChanged(namespace, id);
    this.hooks.beforeRespond = () => journal.flush();
    log('info', 'journal recovered', { file, ...report });
  }

  get port(): number {
    return this.boundPort;
  }

  /** The port of the Web UI and HTTP API, when serving them. */
  get uiPort(): number | undefined {
    return this.boundUiPort;
  }

  /** Stops accepting calls; calls in flight get up to `graceMs` to finish. */
  async stop(graceMs = 2000): Promise<void> {
    await this.ui?.stop();
    this.clock.stop();
    this.store.matching.releaseAllPollers();
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
    await this.journal?.close();
  }
}

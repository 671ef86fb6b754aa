/**
 * Workflow Updates: admitted requests travel to the worker as protocol messages on a workflow task
 * (a speculative one if none is pending); the worker's validator rejects them (nothing is written)
 * or accepts them (WorkflowExecutionUpdateAccepted), and the handler's result completes them
 * (WorkflowExecutionUpdateCompleted). Callers wait for the stage they asked for.
 */
import type { temporal } from '@temporalio/proto';
import { invalidArgument, notFound } from '../errors';
import { EventType, type Plain, decodeMessage, encodeMessage, enums } from '../proto';
import type { Execution } from './execution';

type Request = Plain<temporal.api.update.v1.IRequest>;
type Outcome = Plain<temporal.api.update.v1.IOutcome>;
type Message = Plain<temporal.api.protocol.v1.IMessage>;
type Acceptance = Plain<temporal.api.update.v1.IAcceptance>;
type Rejection = Plain<temporal.api.update.v1.IRejection>;
type Response = Plain<temporal.api.update.v1.IResponse>;

const Stage = enums.UpdateWorkflowExecutionLifecycleStage;
const TYPE_PREFIX = 'type.googleapis.com/';

export interface UpdateStatus {
  stage: number;
  outcome?: Outcome;
}

interface UpdateRecord {
  id: string;
  request: Request;
  /** admitted: waiting to be sent; sent: on a workflow task the worker has not answered yet. */
  state: 'admitted' | 'sent' | 'accepted' | 'completed';
  acceptedEventId?: number;
  outcome?: Outcome;
  waiters: Waiter[];
}

interface Waiter {
  stage: number;
  resolve: (status: UpdateStatus) => void;
  reject: (err: Error) => void;
}

/** Sent to a worker that completed its task without answering an update it was given. */
const UNPROCESSED_UPDATE_FAILURE = {
  message:
    "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker.",
  source: 'Server',
  applicationFailureInfo: { type: 'UnprocessedUpdate', nonRetryable: true },
};

const ACCEPTED_UPDATE_COMPLETED_WORKFLOW_FAILURE = {
  message: 'Workflow Update failed because the Workflow completed before the Update completed.',
  source: 'Server',
  applicationFailureInfo: { type: 'AcceptedUpdateCompletedWorkflow', nonRetryable: true },
};

export class Updates {
  private readonly registry = new Map<string, UpdateRecord>();
  /** Messages of the workflow task being completed, by message id, until their commands apply them. */
  private incoming = new Map<
    string,
    { updateId: string; body: Acceptance | Response; kind: 'acceptance' | 'response' }
  >();

  constructor(private readonly exec: Execution) {}

  /** Admits an update (or finds the one with the same id) and waits until it reaches `stage`. */
  submit(request: Request, stage: number, waitMs: number, onCancel: (hook: () => void) => void): Promise<UpdateStatus> {
    const updateId = request.meta?.updateId ?? '';
    let record = this.registry.get(updateId) ?? this.findCompletedInHistory(updateId);
    if (!record) {
      this.exec.assertRunning();
      record = this.admit(updateId, request);
    }
    return this.waitFor(record, stage, waitMs, onCancel);
  }

  private admit(updateId: string, request: Request, waiters: Waiter[] = []): UpdateRecord {
    const record: UpdateRecord = { id: updateId, request, state: 'admitted', waiters };
    this.registry.set(updateId, record);
    this.exec.tasks.scheduleForUpdate();
    this.exec.host.changed(this.exec.key);
    return record;
  }

  /** Updates not yet accepted when this run continued as new move to the next run, as on the real server. */
  takeUnaccepted(): { updateId: string; request: Request; waiters: Waiter[] }[] {
    const moved = [];
    for (const record of [...this.registry.values()]) {
      if (record.state !== 'admitted' && record.state !== 'sent') continue;
      moved.push({ updateId: record.id, request: record.request, waiters: record.waiters });
      this.registry.delete(record.id);
    }
    return moved;
  }

  adopt(moved: { updateId: string; request: Request; waiters: Waiter[] }[]): void {
    for (const { updateId, request, waiters } of moved) this.admit(updateId, request, waiters);
  }

  /** PollWorkflowExecutionUpdate: the update's status, waiting up to `waitMs` for `stage`. */
  poll(updateId: string, stage: number, waitMs: number, onCancel: (hook: () => void) => void): Promise<UpdateStatus> {
    const record = this.registry.get(updateId) ?? this.findCompletedInHistory(updateId);
    if (!record) throw notFound(`update ${updateId} not found`);
    return this.waitFor(record, stage, waitMs, onCancel);
  }

  private waitFor(
    record: UpdateRecord,
    stage: number,
    waitMs: number,
    onCancel: (hook: () => void) => void,
  ): Promise<UpdateStatus> {
    const current = statusOf(record);
    if (current.stage >= stage) return Promise.resolve(current);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        stage,
        resolve: (status: UpdateStatus) => {
          clearTimeout(timer);
          resolve(status);
        },
        reject: (err: Error) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const giveUp = () => {
        record.waiters = record.waiters.filter((w) => w !== waiter);
        waiter.resolve(statusOf(record));
      };
      const timer = setTimeout(giveUp, Math.max(0, waitMs));
      onCancel(giveUp);
      record.waiters.push(waiter);
    });
  }

  /** After a restart: updates accepted but not completed are waiting for their worker's response again. */
  restoreFromHistory(): void {
    const completed = new Set<string>();
    for (const event of this.exec.history.events) {
      const id = event.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId;
      if (id) completed.add(id);
    }
    for (const event of this.exec.history.events) {
      const accepted = event.workflowExecutionUpdateAcceptedEventAttributes;
      const id = accepted?.protocolInstanceId;
      if (!id || completed.has(id)) continue;
      this.registry.set(id, {
        id,
        request: accepted.acceptedRequest ?? {},
        state: 'accepted',
        acceptedEventId: event.eventId,
        waiters: [],
      });
    }
  }

  /** A completed update whose record is gone (e.g. after continue-as-new bookkeeping) is rebuilt from history. */
  private findCompletedInHistory(updateId: string): UpdateRecord | undefined {
    for (const event of this.exec.history.events) {
      const completed = event.workflowExecutionUpdateCompletedEventAttributes;
      if (completed?.meta?.updateId === updateId) {
        return { id: updateId, request: {}, state: 'completed', outcome: completed.outcome, waiters: [] };
      }
    }
    return undefined;
  }

  get hasOutgoing(): boolean {
    for (const record of this.registry.values()) if (record.state === 'admitted') return true;
    return false;
  }

  /** Request messages for the workflow task being started, including ones a lost task carried. */
  outgoingMessages(startedEventId: number): Message[] {
    const messages: Message[] = [];
    for (const record of this.registry.values()) {
      if (record.state !== 'admitted' && record.state !== 'sent') continue;
      record.state = 'sent';
      messages.push({
        id: `${record.id}/request`,
        protocolInstanceId: record.id,
        eventId: startedEventId - 1,
        body: packAny('temporal.api.update.v1.Request', record.request),
      });
    }
    return messages;
  }

  /**
   * Takes the worker's messages from RespondWorkflowTaskCompleted: rejections are applied at once
   * (no events); acceptances and responses wait for their ProtocolMessage command.
   */
  receive(messages: readonly Message[]): void {
    this.incoming.clear();
    for (const message of messages) {
      const updateId = message.protocolInstanceId ?? '';
      const record = this.registry.get(updateId);
      if (!record) throw invalidArgument(`protocol message for unknown update ${updateId}`);
      const type = message.body?.type_url?.slice(TYPE_PREFIX.length);
      const value = message.body?.value ?? new Uint8Array();
      if (type === 'temporal.api.update.v1.Rejection') {
        const rejection = decodeMessage<Rejection>(type, value);
        this.finish(record, { failure: rejection.failure });
      } else if (type === 'temporal.api.update.v1.Acceptance') {
        this.incoming.set(message.id ?? '', {
          updateId,
          kind: 'acceptance',
          body: decodeMessage<Acceptance>(type, value),
        });
      } else if (type === 'temporal.api.update.v1.Response') {
        this.incoming.set(message.id ?? '', { updateId, kind: 'response', body: decodeMessage<Response>(type, value) });
      } else {
        throw invalidArgument(`unsupported protocol message body ${message.body?.type_url ?? '(none)'}`);
      }
    }
  }

  /** Whether the worker's messages are only rejections (a speculative task may then leave no trace). */
  onlyRejections(): boolean {
    return this.incoming.size === 0;
  }

  /** Updates the worker was given but neither accepted nor rejected are rejected by the server. */
  rejectUnprocessed(): void {
    const answered = new Set([...this.incoming.values()].map((m) => m.updateId));
    for (const record of [...this.registry.values()]) {
      if (record.state === 'sent' && !answered.has(record.id))
        this.finish(record, { failure: UNPROCESSED_UPDATE_FAILURE });
    }
  }

  /** ProtocolMessage command: writes the message's event at the command's position. */
  applyMessage(messageId: string): void {
    const message = this.incoming.get(messageId);
    if (!message) return;
    this.incoming.delete(messageId);
    const record = this.registry.get(message.updateId);
    if (!record) return;
    if (message.kind === 'acceptance') {
      const acceptance = message.body as Acceptance;
      record.acceptedEventId = this.exec.history.append(
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        'workflowExecutionUpdateAcceptedEventAttributes',
        {
          protocolInstanceId: record.id,
          acceptedRequestMessageId: acceptance.acceptedRequestMessageId,
          acceptedRequestSequencingEventId: acceptance.acceptedRequestSequencingEventId,
          acceptedRequest: acceptance.acceptedRequest ?? record.request,
        },
      ).eventId;
      record.state = 'accepted';
      this.notify(record);
    } else {
      const response = message.body as Response;
      this.exec.history.append(
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
        'workflowExecutionUpdateCompletedEventAttributes',
        {
          meta: response.meta,
          acceptedEventId: record.acceptedEventId,
          outcome: response.outcome,
        },
      );
      this.finish(record, response.outcome ?? {});
    }
  }

  /** Messages no ProtocolMessage command positioned are applied after all commands. */
  applyRemaining(): void {
    for (const messageId of [...this.incoming.keys()]) this.applyMessage(messageId);
  }

  /** A workflow task carrying updates failed or timed out: they are sent again with the next one. */
  onTaskLost(): void {
    this.incoming.clear();
  }

  /**
   * The run closed. Accepted updates fail with the server's AcceptedUpdateCompletedWorkflow
   * failure; callers of unaccepted ones get NotFound (unless they moved on to a continued run).
   */
  onClosed(): void {
    for (const record of [...this.registry.values()]) {
      if (record.state === 'accepted') {
        this.finish(record, { failure: ACCEPTED_UPDATE_COMPLETED_WORKFLOW_FAILURE });
        continue;
      }
      this.registry.delete(record.id);
      for (const waiter of record.waiters) waiter.reject(notFound('workflow update was aborted by closing workflow'));
    }
  }

  private finish(record: UpdateRecord, outcome: Outcome): void {
    record.state = 'completed';
    record.outcome = outcome;
    this.notify(record);
    this.registry.delete(record.id);
  }

  private notify(record: UpdateRecord): void {
    const status = statusOf(record);
    const ready = record.waiters.filter((w) => status.stage >= w.stage);
    record.waiters = record.waiters.filter((w) => status.stage < w.stage);
    for (const waiter of ready) waiter.resolve(status);
  }
}

function statusOf(record: UpdateRecord): UpdateStatus {
  switch (record.state) {
    case 'completed':
      return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED, outcome: record.outcome };
    case 'accepted':
      return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED };
    default:
      return { stage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED };
  }
}

function packAny(typeName: string, value: object): { type_url: string; value: Uint8Array } {
  return { type_url: TYPE_PREFIX + typeName, value: encodeMessage(typeName, value) };
}

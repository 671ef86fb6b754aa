/**
 * The state the scheduler keeps per schedule (what the real server keeps in its scheduler
 * workflow's arguments: the schedule, its info counters and its internal state), and its JSON form
 * for the journal. Protobuf messages in the state (the schedule, memo, search attributes, the last
 * result and failure) are stored in the JSON form as base64 of their binary encoding, so payload
 * bytes survive the round trip unchanged.
 */
import type { temporal } from '@temporalio/proto';
import {
  type Failure,
  type Memo,
  type Payloads,
  type Plain,
  type SearchAttributes,
  decodeMessage,
  encodeMessage,
  enums,
} from '../proto';

export type Schedule = Plain<temporal.api.schedule.v1.ISchedule>;
export type SchedulePatch = Plain<temporal.api.schedule.v1.ISchedulePatch>;

export const OverlapPolicy = enums.ScheduleOverlapPolicy;

/** A start waiting to be made (the server's BufferedStart). Times are epoch milliseconds. */
export interface BufferedStart {
  nominalMs: number;
  actualMs: number;
  /** Unresolved: UNSPECIFIED means "the schedule's policy at the time the start is considered". */
  overlapPolicy: number;
  /** Trigger or backfill: not subject to pause, remaining actions or the catch-up window. */
  manual: boolean;
}

export interface PendingBackfill {
  /** Exclusive: the walk looks for times after this. */
  startMs: number;
  endMs: number;
  overlapPolicy: number;
}

export interface RunRef {
  workflowId: string;
  /** The first run id of the chain the schedule started. */
  runId: string;
}

export interface RecordedAction extends RunRef {
  /** The scheduled (actual, jittered) time. */
  scheduleMs: number;
  /** When the workflow was really started. */
  actualMs: number;
  /** WorkflowExecutionStatus number, updated when the run closes. */
  status: number;
}

export interface ScheduleCounters {
  actionCount: number;
  missedCatchupWindow: number;
  overlapSkipped: number;
  bufferDropped: number;
}

export interface ScheduleRecord {
  namespace: string;
  namespaceId: string;
  scheduleId: string;
  /** Spec in canonical form; overlap policy and catch-up window resolved to their effective values. */
  schedule: Schedule;
  memo?: Memo;
  /** The schedule's own custom search attributes (not the action's). */
  searchAttributes?: SearchAttributes;
  createTimeMs: number;
  updateTimeMs?: number;
  conflictToken: number;
  /** Scheduled times up to here have been considered. */
  lastProcessedMs: number;
  counters: ScheduleCounters;
  /** Runs started without ALLOW_ALL that have not closed yet, oldest first. */
  runningWorkflows: RunRef[];
  /** The last actions taken, oldest first. */
  recentActions: RecordedAction[];
  bufferedStarts: BufferedStart[];
  ongoingBackfills: PendingBackfill[];
  lastCompletionResult?: Payloads;
  continuedFailure?: Failure;
  /** Request ids of recent Update/Patch calls, so that a retried call is applied once. */
  recentRequestIds: string[];
}

const SNAPSHOT_VERSION = 1;

const MESSAGE_TYPES = {
  schedule: 'temporal.api.schedule.v1.Schedule',
  memo: 'temporal.api.common.v1.Memo',
  searchAttributes: 'temporal.api.common.v1.SearchAttributes',
  lastCompletionResult: 'temporal.api.common.v1.Payloads',
  continuedFailure: 'temporal.api.failure.v1.Failure',
} as const;

type MessageField = keyof typeof MESSAGE_TYPES;

/** A schedule's whole state as JSON-serialisable data (for the journal). */
export type ScheduleSnapshot = Omit<ScheduleRecord, MessageField> & {
  version: typeof SNAPSHOT_VERSION;
  schedule: string;
} & Partial<Record<Exclude<MessageField, 'schedule'>, string>>;

export class ScheduleSnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleSnapshotError';
  }
}

export function toSnapshot(record: ScheduleRecord): ScheduleSnapshot {
  const { schedule, memo, searchAttributes, lastCompletionResult, continuedFailure, ...plain } = record;
  const encode = (field: MessageField, value: object | undefined) =>
    value === undefined ? undefined : Buffer.from(encodeMessage(MESSAGE_TYPES[field], value)).toString('base64');
  // structuredClone detaches the snapshot from the live state (arrays and objects are mutated later).
  return structuredClone({
    ...plain,
    version: SNAPSHOT_VERSION,
    schedule: encode('schedule', schedule)!,
    memo: encode('memo', memo),
    searchAttributes: encode('searchAttributes', searchAttributes),
    lastCompletionResult: encode('lastCompletionResult', lastCompletionResult),
    continuedFailure: encode('continuedFailure', continuedFailure),
  });
}

export function fromSnapshot(snapshot: ScheduleSnapshot): ScheduleRecord {
  if (snapshot.version !== SNAPSHOT_VERSION) {
    throw new ScheduleSnapshotError(
      `schedule snapshot version ${String(snapshot.version)} is not supported (expected ${SNAPSHOT_VERSION}); ` +
        'the journal was written by a different devserver version',
    );
  }
  const {
    version: _version,
    schedule,
    memo,
    searchAttributes,
    lastCompletionResult,
    continuedFailure,
    ...plain
  } = structuredClone(snapshot);
  const decode = <T>(field: MessageField, value: string | undefined): T | undefined =>
    value === undefined ? undefined : decodeMessage<T>(MESSAGE_TYPES[field], Buffer.from(value, 'base64'));
  return {
    ...plain,
    schedule: decode<Schedule>('schedule', schedule) ?? {},
    memo: decode<Memo>('memo', memo),
    searchAttributes: decode<SearchAttributes>('searchAttributes', searchAttributes),
    lastCompletionResult: decode<Payloads>('lastCompletionResult', lastCompletionResult),
    continuedFailure: decode<Failure>('continuedFailure', continuedFailure),
  };
}

/** The conflict token as the server sends it: the counter as 8 big-endian bytes. */
export function encodeConflictToken(token: number): Uint8Array {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64BE(BigInt(token));
  return bytes;
}

/** The counter in a conflict token; undefined when the caller sent none (update unconditionally). */
export function decodeConflictToken(bytes: Uint8Array | undefined): number | undefined {
  if (!bytes || bytes.length === 0) return undefined;
  if (bytes.length < 8) return -1; // cannot match any token this server issued
  return Number(Buffer.from(bytes).readBigInt64BE(0));
}

/**
 * Protobuf plumbing. Requests are decoded into plain objects (int64 as number, enums as numbers,
 * unset fields absent) and responses are encoded from plain objects of the same shape, so the rest
 * of the server works with ordinary JavaScript values typed by `Plain<...>` of the SDK's proto types.
 */
import { temporal, google } from '@temporalio/proto';
import type Long from 'long';
import type { Type } from 'protobufjs';

/** The `@temporalio/proto` message interface `T` with int64 as number and no nulls. */
export type Plain<T> = T extends Long
  ? number
  : T extends Uint8Array
    ? Uint8Array
    : T extends ReadonlyArray<infer U>
      ? Plain<NonNullable<U>>[]
      : T extends object
        ? string extends keyof T
          ? { [key: string]: Plain<NonNullable<T[string & keyof T]>> }
          : { [K in keyof T]?: Plain<NonNullable<T[K]>> }
        : T;

import type { Root } from 'protobufjs';

/** The reflection root behind the SDK's generated proto namespaces. */
export const root = (temporal.api.workflowservice.v1.WorkflowService as unknown as { root: Root }).root;

export function lookupType(fullName: string): Type {
  return root.lookupType(fullName);
}

export const enums = temporal.api.enums.v1;
export const EventType = enums.EventType;
export const CommandType = enums.CommandType;

export type HistoryEvent = Plain<temporal.api.history.v1.IHistoryEvent>;
export type Payloads = Plain<temporal.api.common.v1.IPayloads>;
export type Payload = Plain<temporal.api.common.v1.IPayload>;
export type Failure = Plain<temporal.api.failure.v1.IFailure>;
export type RetryPolicy = Plain<temporal.api.common.v1.IRetryPolicy>;
export type TaskQueue = Plain<temporal.api.taskqueue.v1.ITaskQueue>;
export type Memo = Plain<temporal.api.common.v1.IMemo>;
export type SearchAttributes = Plain<temporal.api.common.v1.ISearchAttributes>;
export type Header = Plain<temporal.api.common.v1.IHeader>;
export type WorkflowExecution = Plain<temporal.api.common.v1.IWorkflowExecution>;
export type Timestamp = Plain<google.protobuf.ITimestamp>;
export type Duration = Plain<google.protobuf.IDuration>;
export type Command = Plain<temporal.api.command.v1.ICommand>;

export function timestampFromMs(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

export function msFromTimestamp(ts: Timestamp | undefined): number | undefined {
  if (!ts) return undefined;
  return (ts.seconds ?? 0) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

/** Milliseconds of a Duration; undefined and zero both mean "not set", as on the real server. */
export function msFromDuration(d: Duration | undefined): number | undefined {
  if (!d) return undefined;
  const ms = (d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
  return ms > 0 ? ms : undefined;
}

export function durationFromMs(ms: number): Duration {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** Encodes a plain message of the named type. */
export function encodeMessage(typeName: string, value: object): Uint8Array {
  return lookupType(typeName).encode(value).finish();
}

export function decodeMessage<T>(typeName: string, bytes: Uint8Array): T {
  const type = lookupType(typeName);
  return type.toObject(type.decode(bytes), DECODE_OPTIONS) as T;
}

export const DECODE_OPTIONS = { longs: Number, enums: Number, defaults: false } as const;

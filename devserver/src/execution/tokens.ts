/**
 * Task tokens are opaque to workers; ours are small JSON documents naming the run and the task, so
 * a response can be matched to the exact attempt it answers (a stale answer is refused).
 */
import { invalidArgument } from '../errors';

export interface WorkflowTaskToken {
  kind: 'wft';
  namespace: string;
  workflowId: string;
  runId: string;
  scheduledEventId: number;
  startedEventId: number;
  attempt: number;
}

export interface ActivityTaskToken {
  kind: 'act';
  namespace: string;
  workflowId: string;
  runId: string;
  scheduledEventId: number;
  attempt: number;
  activityId: string;
}

export interface QueryTaskToken {
  kind: 'query';
  namespace: string;
  workflowId: string;
  runId: string;
  queryId: string;
}

export type TaskToken = WorkflowTaskToken | ActivityTaskToken | QueryTaskToken;

export function encodeToken(token: TaskToken): Uint8Array {
  return Buffer.from(JSON.stringify(token), 'utf8');
}

export function decodeToken<K extends TaskToken['kind']>(
  bytes: Uint8Array | undefined,
  kind: K,
): Extract<TaskToken, { kind: K }> {
  if (!bytes || bytes.length === 0) throw invalidArgument('Task token not set on request.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw invalidArgument('Error deserializing task token.');
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as { kind?: unknown }).kind !== kind) {
    throw invalidArgument('Error deserializing task token.');
  }
  return parsed as Extract<TaskToken, { kind: K }>;
}

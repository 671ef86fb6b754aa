/** The percent of a running operation taken from its pending activity's heartbeat details. */
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { heartbeatPercent } from './operation-status';

const converter = loadDataConverter();
const describedWith = (...details: unknown[]) =>
  ({
    raw: {
      pendingActivities: details.map((d) => ({
        heartbeatDetails: d === undefined ? undefined : { payloads: [defaultPayloadConverter.toPayload(d)] },
      })),
    },
  }) as unknown as Pick<WorkflowExecutionDescription, 'raw'>;

describe('heartbeatPercent', () => {
  it('is done / total of the first activity that reports a total, to one decimal', async () => {
    expect(await heartbeatPercent(describedWith(undefined, { done: 1, total: 3, unit: 'rows' }), converter)).toBe(33.3);
    expect(await heartbeatPercent(describedWith({ done: 500, total: 400, unit: 'keys' }), converter)).toBe(100);
  });

  it('is unknown without a total, without details, or without pending activities', async () => {
    expect(await heartbeatPercent(describedWith({ done: 10, unit: 'rows' }), converter)).toBeUndefined();
    expect(await heartbeatPercent(describedWith({ done: 0, total: 0, unit: 'bytes' }), converter)).toBeUndefined();
    expect(await heartbeatPercent(describedWith(undefined), converter)).toBeUndefined();
    expect(await heartbeatPercent(describedWith(), converter)).toBeUndefined();
  });
});

/**
 * One measured promotion: the promote Update to the cluster entity (confirm = node name), the
 * operation followed to its end, its history read for the phases, the writer's record read for the
 * downtime, and every acknowledged write looked for on the new primary.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { OperationFailedError, type ClusterSession } from '../../test/e2e/e2e-cluster';
import type { Address, EngineKit } from '../../test/e2e/e2e-engine-kit';
import { promoteUpdate } from '../../workflows/cluster-api';
import type { ClusterView, Credentials, NodeInfo } from '../../workflows/types';
import { phaseAt, spanOf, stretch, timelineOf, type OperationTimeline } from './phases';
import { measureUnavailability, type Unavailability } from './unavailability';
import type { TimedWriter } from './writer';

/** Writes acknowledged after the operation closed before the round is measured: proof writes resumed. */
export const ACKS_AFTER = 20;
/** A refused promotion (target not yet healthy) is asked again this often, at most this many times. */
const REFUSAL_PAUSE_MS = 1_000;
const MAX_REFUSALS = 30;

export interface RoundResult {
  round: number;
  from: string;
  to: string;
  unavailability: Unavailability;
  /** Update sent → accepted (the entity started the child). */
  acceptMs: number;
  /** Update accepted → the operation's workflow closed (server time). */
  operationMs: number;
  timeline: OperationTimeline;
  /**
   * Where the longest gap lies: `endpoint switch` when the switch ended inside it, else the phase
   * running at its middle (`between` when no activity was).
   */
  gapPhase: string;
  /** First acknowledged write after the outage minus the end of the endpoint switch (negative: before it). */
  outageEndAfterSwitchMs: number | undefined;
  /** Fence scheduled → endpoint switch closed, and the part of it spent between activities. */
  fenceToSwitch: { ms: number; betweenMs: number } | undefined;
  /** Whether writes were acknowledged again after the outage before the post-promote backup started. */
  resumedBeforeBackup: boolean | undefined;
  /** Acknowledged writes so far, all looked for on the new primary. */
  checkedWrites: number;
  lostWrites: number;
  /** Health-gate refusals before this promotion went ahead. */
  refusals: number;
}

export interface RoundContext {
  session: ClusterSession;
  kit: EngineKit;
  credentials: Credentials;
  writer: TimedWriter;
}

export const privateAddress = (node: NodeInfo): Address => ({ host: node.privateHost, port: node.privatePort });

export function primaryOf(view: ClusterView): NodeInfo {
  const primary = view.nodes.find((n) => n.role === 'primary');
  if (!primary) throw new Error(`cluster ${view.spec.name} has no primary`);
  return primary;
}

/** The next node after the primary in node-number order, round the ring: every node gets promoted in turn. */
export function nextTarget(view: ClusterView): NodeInfo {
  const nodes = [...view.nodes].sort((a, b) => a.number - b.number);
  const at = nodes.findIndex((n) => n.role === 'primary');
  return nodes[(at + 1) % nodes.length];
}

/** Item strings are `<id>=<value>`. */
const idOfItem = (item: string) => Number(item.slice(0, item.indexOf('=')));

export async function measurePromotion(
  context: RoundContext,
  view: ClusterView,
  round: number,
): Promise<{ result: RoundResult; view: ClusterView }> {
  const { session, kit, credentials, writer } = context;
  const from = primaryOf(view).name;
  const to = nextTarget(view).name;
  let refusals = 0;
  for (;;) {
    const sentAt = Date.now();
    const ref = await session.start(promoteUpdate, { actor: 'promotion-bench', node: to, confirm: to });
    const acceptedAt = Date.now();
    let after: ClusterView;
    try {
      after = (await session.finished(ref.id, acceptedAt)).view;
    } catch (err) {
      if (!(err instanceof OperationFailedError && /cannot be promoted/.test(err.message)) || refusals >= MAX_REFUSALS)
        throw err;
      refusals++;
      await sleep(REFUSAL_PAUSE_MS);
      continue;
    }
    const history = await session.client.workflow.getHandle(ref.id).fetchHistory();
    const timeline = timelineOf(history.events ?? []);
    await writer.acknowledgedAfter(timeline.closedAt, ACKS_AFTER);
    const unavailability = measureUnavailability(
      writer.events,
      sentAt,
      writer.ackTimeAfter(timeline.closedAt, ACKS_AFTER),
    );

    const acknowledged = [...writer.acknowledgedIds];
    const onPrimary = new Set((await kit.itemsOn(privateAddress(primaryOf(after)), credentials)).map(idOfItem));
    const lostWrites = acknowledged.filter((id) => !onPrimary.has(id)).length;

    const switchEnd = spanOf(timeline, 'pointEndpoint')?.closedAt;
    const backupStart = spanOf(timeline, 'takeBackup')?.scheduledAt;
    const outageEnd = (unavailability.longestOutage ?? unavailability).firstAckAfter;
    return {
      view: after,
      result: {
        round,
        from,
        to,
        unavailability,
        acceptMs: acceptedAt - sentAt,
        operationMs: timeline.closedAt - acceptedAt,
        timeline,
        gapPhase:
          switchEnd !== undefined &&
          unavailability.lastAckBefore <= switchEnd &&
          switchEnd <= unavailability.firstAckAfter
            ? 'endpoint switch'
            : phaseAt(timeline, (unavailability.lastAckBefore + unavailability.firstAckAfter) / 2),
        outageEndAfterSwitchMs: switchEnd === undefined ? undefined : outageEnd - switchEnd,
        fenceToSwitch: stretch(timeline, 'fenceNode', 'pointEndpoint'),
        resumedBeforeBackup: backupStart === undefined ? undefined : outageEnd < backupStart,
        checkedWrites: acknowledged.length,
        lostWrites,
        refusals,
      },
    };
  }
}

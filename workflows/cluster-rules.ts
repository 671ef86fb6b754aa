/**
 * The rules a request must satisfy, shared by the API (early 400s) and the entity's Update
 * validators (the authority). Pure functions; each throws a named refusal naming what is wrong.
 */
import { parseAllowlist } from '../vm/allowlist';
import { cronProblem } from './cron-rules';
import { refuse } from './errors';
import {
  CLUSTER_MODES,
  ENGINES,
  MULTI_MASTER_ENGINES,
  type ClusterSettings,
  type ClusterSpec,
  type NodePlan,
  type SupportLevel,
} from './types';
import type { SettingsPatch } from './cluster-api';

export const CLUSTER_NAME_PATTERN = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;
export const MAX_REPLICAS = 8;
const MIN_SCHEDULE_INTERVAL_MINUTES = 60;
const MAX_KEEP = 100;

export function checkClusterName(name: unknown): string {
  if (typeof name !== 'string' || !CLUSTER_NAME_PATTERN.test(name)) {
    throw refuse(
      'InvalidRequestError',
      `cluster name ${JSON.stringify(name)} is invalid: use 3 to 40 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen`,
    );
  }
  return name;
}

export function checkPlan(plan: NodePlan, field = 'plan'): NodePlan {
  const ok = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;
  if (!plan || !ok(plan.cpu, 1) || !ok(plan.ramMb, 128) || !ok(plan.diskGb, 1)) {
    throw refuse('InvalidRequestError', `${field} needs whole numbers cpu ≥ 1, ramMb ≥ 128 and diskGb ≥ 1`);
  }
  return plan;
}

export function checkSpec(spec: ClusterSpec): ClusterSpec {
  checkClusterName(spec.name);
  if (!(ENGINES as readonly string[]).includes(spec.engine)) {
    throw refuse('InvalidRequestError', `engine ${JSON.stringify(spec.engine)} is not one of ${ENGINES.join(', ')}`);
  }
  if (typeof spec.version !== 'string' || !/^[0-9][0-9a-z.-]*$/i.test(spec.version)) {
    throw refuse(
      'InvalidRequestError',
      `version ${JSON.stringify(spec.version)} is not a version string like "15" or "10.11"`,
    );
  }
  if (!(CLUSTER_MODES as readonly string[]).includes(spec.mode)) {
    throw refuse('InvalidRequestError', `mode ${JSON.stringify(spec.mode)} is not one of ${CLUSTER_MODES.join(', ')}`);
  }
  if (spec.mode === 'multi-master' && !MULTI_MASTER_ENGINES.includes(spec.engine)) {
    throw refuse(
      'UnsupportedOperationError',
      `${spec.engine} does not support multi-master clusters; only ${MULTI_MASTER_ENGINES.join(' and ')} do`,
    );
  }
  if (
    spec.mode === 'primary-replica' &&
    (!Number.isInteger(spec.replicas) || spec.replicas < 1 || spec.replicas > MAX_REPLICAS)
  ) {
    throw refuse(
      'InvalidRequestError',
      `replicas must be a whole number from 1 to ${MAX_REPLICAS} for a primary-replica cluster`,
    );
  }
  checkPlan(spec.plan);
  return spec;
}

/** Node names a cluster starts with: single → 1, primary-replica → 1 + replicas, multi-master → 2. */
export function initialNodeCount(spec: ClusterSpec): number {
  if (spec.mode === 'single') return 1;
  if (spec.mode === 'multi-master') return 2;
  return 1 + spec.replicas;
}

/** Validates and normalises an allowlist; a malformed entry is refused with the entry named. */
export function checkAllowlist(entries: unknown): string[] {
  if (!Array.isArray(entries) || !entries.every((e) => typeof e === 'string')) {
    throw refuse('InvalidRequestError', 'allowlist must be an array of IP addresses or CIDR ranges');
  }
  try {
    return parseAllowlist(entries);
  } catch (err) {
    throw refuse('InvalidRequestError', `allowlist: ${(err as Error).message}`);
  }
}

export function checkConfirm(confirm: unknown, expected: string, what: string): void {
  if (confirm !== expected) {
    throw refuse(
      'ConfirmationMismatchError',
      `type the ${what} name "${expected}" in confirm to proceed; got ${JSON.stringify(confirm ?? null)}`,
    );
  }
}

export function applySettingsPatch(current: ClusterSettings, patch: SettingsPatch): ClusterSettings {
  const next: ClusterSettings = {
    ...current,
    ...patch,
    notifications: { ...current.notifications, ...patch.notifications },
  };
  if (![1, 2, 3].includes(next.supportLevel)) throw refuse('InvalidRequestError', 'supportLevel must be 1, 2 or 3');
  next.supportLevel = next.supportLevel as SupportLevel;
  for (const key of ['terminationProtection', 'autoFailover'] as const) {
    if (typeof next[key] !== 'boolean') throw refuse('InvalidRequestError', `${key} must be true or false`);
  }
  for (const [key, min] of [
    ['failoverThreshold', 1],
    ['healthCheckIntervalSeconds', 1],
    ['maxFailoverLagBytes', 0],
    ['maxPromotionLagSeconds', 0],
  ] as const) {
    if (!Number.isInteger(next[key]) || next[key] < min)
      throw refuse('InvalidRequestError', `${key} must be a whole number ≥ ${min}`);
  }
  const { webhookUrl, emails } = next.notifications;
  if (webhookUrl !== undefined && (typeof webhookUrl !== 'string' || !/^https?:\/\/[^\s]+$/.test(webhookUrl))) {
    throw refuse(
      'InvalidRequestError',
      `notifications.webhookUrl must be an http(s) URL, got ${JSON.stringify(webhookUrl)}`,
    );
  }
  if (
    emails !== undefined &&
    (!Array.isArray(emails) || !emails.every((e) => typeof e === 'string' && /^[^\s@]+@[^\s@]+$/.test(e)))
  ) {
    throw refuse('InvalidRequestError', 'notifications.emails must be a list of email addresses');
  }
  return next;
}

export function checkScheduleRequest(request: { intervalMinutes?: number; cron?: string; keep: number }): void {
  const { intervalMinutes, cron, keep } = request;
  if ((intervalMinutes === undefined) === (cron === undefined)) {
    throw refuse('InvalidRequestError', 'give exactly one of intervalMinutes or cron');
  }
  if (
    intervalMinutes !== undefined &&
    (!Number.isInteger(intervalMinutes) || intervalMinutes < MIN_SCHEDULE_INTERVAL_MINUTES)
  ) {
    throw refuse(
      'InvalidRequestError',
      `intervalMinutes must be a whole number ≥ ${MIN_SCHEDULE_INTERVAL_MINUTES} (schedules run at most hourly)`,
    );
  }
  if (cron !== undefined) {
    const problem = typeof cron === 'string' ? cronProblem(cron) : 'it is not a string';
    if (problem !== undefined)
      throw refuse('InvalidRequestError', `cron ${JSON.stringify(cron)} is invalid: ${problem}`);
  }
  const minute = cron?.trim().split(/\s+/)[0];
  if (minute !== undefined && !(/^\d{1,2}$/.test(minute) && Number(minute) < 60)) {
    throw refuse(
      'InvalidRequestError',
      `cron ${JSON.stringify(cron)} must fire at one fixed minute (0-59) of the hour: schedules run at most hourly`,
    );
  }
  if (!Number.isInteger(keep) || keep < 1 || keep > MAX_KEEP)
    throw refuse('InvalidRequestError', `keep must be a whole number from 1 to ${MAX_KEEP}`);
}

/**
 * IP allowlist (SPEC §3.11): the entity validated and normalised the entries; apply them to every
 * node (an empty list opens the cluster).
 */
import { acts, type OperationOutcome, trackProgress } from './operation';
import type { AllowlistParams, OperationInput } from './operation-params';

export async function allowlistWorkflow({
  context,
  params,
}: OperationInput<AllowlistParams>): Promise<OperationOutcome> {
  const progress = trackProgress(context, 1);
  progress.step('apply the allowlist to every node');
  await acts.applyAllowlist(
    context.nodes.map((n) => n.name),
    params.allowlist,
  );
  return {
    summary: params.allowlist.length
      ? `allowlist set to ${params.allowlist.join(', ')}`
      : 'allowlist cleared: open to all',
    allowlist: params.allowlist,
  };
}

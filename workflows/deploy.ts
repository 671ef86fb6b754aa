/**
 * Deploy cluster (SPEC §3.1): provision the nodes, initialise the engine on each, configure the
 * primary, seed each replica from a backup of the primary and start replication, apply the
 * allowlist, point the endpoint at the primary. (The entity then creates the backup schedules
 * and notifies.) A failed deploy removes what it created.
 */
import { initialNodeCount } from './cluster-rules';
import { acts, longActs, type OperationOutcome, targetOf, trackProgress } from './operation';
import type { DeployParams, OperationInput } from './operation-params';
import { seedReplica } from './replicas';
import type { NodeInfo } from './types';

export async function deployWorkflow({ context, params }: OperationInput<DeployParams>): Promise<OperationOutcome> {
  const { spec } = context;
  const progress = trackProgress(context, 7);
  const target = (node: NodeInfo) => targetOf(context, node);
  const provisioned: NodeInfo[] = [];
  try {
    progress.step('check the engine is available');
    await acts.checkEngineAvailable(spec.engine, spec.version);

    progress.step('provision nodes');
    const count = initialNodeCount(spec);
    const createdAt = new Date().toISOString();
    for (let number = 1; number <= count; number++) {
      const name = `${spec.name}${number}`;
      // The node's firewall starts with the cluster's allowlist: a new node is never open by accident.
      const address = await acts.provisionNode({
        cluster: spec.name,
        node: name,
        plan: spec.plan,
        allowlist: context.allowlist,
      });
      const role = number === 1 || spec.mode === 'multi-master' ? 'primary' : 'replica';
      provisioned.push({ name, number, role, status: 'provisioning', plan: spec.plan, createdAt, ...address });
    }
    const [primary, ...others] = provisioned;

    progress.step('initialise the engine on each node');
    for (const node of provisioned) {
      await acts.initialiseNode(target(node));
      await acts.startNode(target(node));
    }

    progress.step('configure the primary');
    if (params.restoreFrom) {
      progress.log(
        `restoring backup ${params.restoreFrom.backup.id} of cluster ${params.restoreFrom.cluster} onto ${primary.name}`,
      );
      await longActs.restoreBackup(target(primary), params.restoreFrom.backup);
    }
    await acts.configurePrimary(target(primary));

    if (spec.mode === 'multi-master') {
      progress.step('set up the second primary');
      const [second] = others;
      await seedReplica(context, second, primary, `${spec.name}/seed-${context.operationId.split(':').pop()}`);
      await acts.configurePrimary(target(second));
      await acts.configureMultiMaster(target(primary), target(second));
    } else {
      progress.step('seed replicas from a backup of the primary');
      for (const replica of others) {
        await seedReplica(
          context,
          replica,
          primary,
          `${spec.name}/seed-${context.operationId.split(':').pop()}-${replica.number}`,
        );
      }
    }

    progress.step('apply the allowlist');
    await acts.applyAllowlist(
      provisioned.map((n) => n.name),
      context.allowlist,
    );

    progress.step('point the endpoint at the primary');
    const endpoint = await acts.pointEndpoint(spec.name, primary);
    const nodes = provisioned.map((n) => ({ ...n, status: 'running' as const }));
    return {
      summary: `deployed ${nodes.length} ${spec.engine} node(s); endpoint ${endpoint.host}:${endpoint.port}`,
      nodes,
      endpoint,
    };
  } catch (err) {
    progress.log(`deploy failed: ${(err as Error).message}; removing what was created`);
    for (const node of provisioned) await acts.deprovisionNode(node.name);
    await acts.removeEndpoint(spec.name);
    throw err;
  }
}

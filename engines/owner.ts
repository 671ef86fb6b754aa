/**
 * The cluster's application owner as the engine drivers read it from a node's credentials: the user
 * the API hands out (see each driver's `owner.ts`, and SECURITY.md).
 */
import { UnsupportedOperationError } from './errors';
import type { EngineCredentials, EngineNode } from './types';

export interface OwnerCredentials {
  user: string;
  password: string;
}

/**
 * The owner the credentials name; throws when they name none (a cluster created before owners
 * existed) or when its name is one the engine keeps for itself (`reserved`, besides the product's users).
 */
export function requireOwner(
  node: Pick<EngineNode, 'name' | 'credentials'>,
  reserved: (name: string) => boolean = () => false,
): OwnerCredentials {
  const owner = ownerIn(node.credentials);
  if (owner === undefined) {
    throw new UnsupportedOperationError(
      `node ${node.name}: the cluster's credentials name no owner user (a cluster created before owners existed); ` +
        'generate owner credentials before creating the owner',
    );
  }
  const { adminUser, replicationUser } = node.credentials;
  if (owner.user === adminUser || owner.user === replicationUser || reserved(owner.user)) {
    throw new UnsupportedOperationError(`node ${node.name}: ${JSON.stringify(owner.user)} cannot be the owner's name`);
  }
  return owner;
}

/** The owner the credentials name, or undefined. */
export function ownerIn(credentials: EngineCredentials): OwnerCredentials | undefined {
  const { ownerUser, ownerPassword } = credentials;
  return ownerUser && ownerPassword !== undefined ? { user: ownerUser, password: ownerPassword } : undefined;
}

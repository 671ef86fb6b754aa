/**
 * The node's users. Redis keeps ACL users per server, outside the dataset, so replication does not carry
 * them: the driver puts its own users in place on every node and copies the primary's users onto each
 * replica it configures, so that clients still authenticate after a replica is promoted.
 */
import type { Redis } from 'ioredis';
import type { EngineCredentials } from '../types';
import { UnsupportedOperationError } from '../errors';
import { adminAclRules, ownerAclRules, ownerOf, replicationAclRules } from './config';

/**
 * Creates or updates the orchestrator's admin and replication users, and the cluster's owner when the
 * credentials name one, and saves the ACL file.
 */
export async function ensureOrchestratorUsers(client: Redis, credentials: EngineCredentials): Promise<void> {
  await client.call('ACL', 'SETUSER', credentials.adminUser, 'resetpass', ...adminAclRules(credentials));
  await client.call('ACL', 'SETUSER', credentials.replicationUser, 'resetpass', ...replicationAclRules(credentials));
  if (ownerOf(credentials)) await setOwner(client, credentials);
  await client.call('ACL', 'SAVE');
}

/**
 * Makes the owner exactly what `ownerAclRules` says (password included) and saves the ACL file.
 * Connections the owner already has stay authenticated.
 */
export async function ensureOwnerUser(client: Redis, credentials: EngineCredentials): Promise<void> {
  await setOwner(client, credentials);
  await client.call('ACL', 'SAVE');
}

async function setOwner(client: Redis, credentials: EngineCredentials): Promise<void> {
  const owner = ownerOf(credentials);
  if (!owner) {
    throw new UnsupportedOperationError(
      "the cluster's credentials name no owner user (a cluster created before owners existed); generate owner credentials first",
    );
  }
  // `reset` first: rules left from an earlier scheme must not survive next to today's.
  await client.call('ACL', 'SETUSER', owner.user, 'reset', ...ownerAclRules(owner.password));
}

/**
 * Splits an `ACL LIST` line into user name and rules. Rules are separated by spaces, except inside the
 * parentheses of a selector (Redis 7: `(~cache:* +get)`).
 */
export function parseAclListLine(line: string): { user: string; rules: string[] } {
  const tokens: string[] = [];
  let current = '';
  let depth = 0;
  for (const char of line) {
    if (char === '(') depth += 1;
    if (char === ')') depth = Math.max(0, depth - 1);
    if (char === ' ' && depth === 0) {
      if (current !== '') tokens.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  if (current !== '') tokens.push(current);
  if (tokens[0] !== 'user' || tokens.length < 2) throw new Error(`unexpected ACL LIST line: ${line.split(' ')[0]} …`);
  return { user: tokens[1], rules: tokens.slice(2) };
}

async function aclList(client: Redis): Promise<string[]> {
  return (await client.call('ACL', 'LIST')) as string[];
}

/** Makes the replica's users exactly the primary's (passwords travel as the hashes ACL LIST shows). */
export async function copyUsers(primary: Redis, replica: Redis): Promise<void> {
  const wanted = (await aclList(primary)).map(parseAclListLine);
  const present = (await aclList(replica)).map((line) => parseAclListLine(line).user);
  for (const { user, rules } of wanted) await replica.call('ACL', 'SETUSER', user, 'reset', ...rules);
  const stale = present.filter((user) => user !== 'default' && !wanted.some((entry) => entry.user === user));
  if (stale.length > 0) await replica.call('ACL', 'DELUSER', ...stale);
  await replica.call('ACL', 'SAVE');
}

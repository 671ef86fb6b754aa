/**
 * The OS user the server runs as. Redis does not refuse root, but a careful operator does not run a
 * network server as root: when the orchestrator runs as root, the server runs as the flavour's own user
 * (`redis`, `keydb`, `valkey`, as their packages create) and owns the node's directory. When no such user
 * exists it runs as root, and says so once in the log. As any other user, everything runs as that user.
 */
import { currentUser, idsOf, type ServerUser } from '../server-user';

/** The first existing user of `candidates` when we are root; ourselves otherwise (or when none exists). */
export function resolveServerUser(candidates: string[]): ServerUser {
  if (process.getuid?.() !== 0) return currentUser();
  for (const name of candidates) {
    const ids = idsOf(name);
    if (ids) return { name, ...ids };
  }
  return currentUser();
}

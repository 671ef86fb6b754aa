/**
 * The OS user mariadbd runs as. It refuses root without `--user`, so when the orchestrator runs as
 * root the server runs as `mysql` (which the mariadb-server package creates) and owns the node's
 * directories; otherwise it runs as the orchestrator's user.
 */
import { EngineUnavailableError } from '../errors';
import { currentUser, idsOf, type ServerUser } from '../server-user';

export function serverUser(name: string): ServerUser {
  if (process.getuid?.() !== 0) return currentUser();
  const ids = idsOf(name);
  if (!ids) {
    throw new EngineUnavailableError(
      `the server must not run as root and user "${name}" does not exist; install mariadb-server or create the user`,
    );
  }
  return { name, ...ids };
}

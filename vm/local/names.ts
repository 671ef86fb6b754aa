/** Names the local provider turns into directories, file names and process keys. */
import { InvalidNameError } from '../errors';

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function validateName(kind: string, name: string): void {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new InvalidNameError(
      `${kind} name ${JSON.stringify(name)} is invalid; use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
}

/** Supervisor keys: a node's firewall, a cluster's endpoint, and engine processes by node and name. */
export const firewallKey = (node: string) => `firewall/${node}`;
export const endpointKey = (cluster: string) => `endpoint/${cluster}`;
export const nodeProcessKey = (node: string, name: string) => `node/${node}/${name}`;

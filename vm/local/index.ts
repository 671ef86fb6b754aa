/** The `local` VM provider: nodes, firewalls and endpoints as detached processes on this machine. */
export { LocalVmProvider, type LocalVmProviderOptions, type RecordedProcess } from './provider';
export { chownForProcess } from './run-as-user';
export { reapAll } from './reap';
export { resolveNodeEntry, type NodeCommand } from './entry-point';
export type { Logger } from './supervisor';

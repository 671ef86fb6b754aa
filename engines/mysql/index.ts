export { createMysqlDriver, type MysqlDriverOptions } from './driver';
export type { DriverLogger } from './context';
export { ReplicaDivergedError, ToolFailedError } from './errors';

export { createPostgresDriver, type PostgresDriver, type PostgresDriverOptions } from './driver';
export type { DriverLogger, PostgresFlavour } from './context';

/** The driver for Redis and its forks KeyDB and Valkey. */
export { createRedisDriver, type RedisDriverOptions, type RedisEngineDriver } from './driver';
export type { DriverLogger } from './context';
export type { RedisFlavour } from './flavours';
export type { RedisSourceReport } from './source';

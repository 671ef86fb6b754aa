/**
 * Which driver serves which engine. PostgreSQL-based engines share the PostgreSQL driver with a
 * flavour (extension), Redis forks share the Redis driver with a flavour. Drivers are built on first
 * use and kept: some hold state worth keeping across calls (e.g. the Redis driver's lag clock).
 */
import { EngineUnavailableError } from '../engines/errors';
import { createMysqlDriver } from '../engines/mysql';
import { createPostgresDriver, type PostgresDriver } from '../engines/postgresql';
import { createRedisDriver } from '../engines/redis';
import type { EngineDriver } from '../engines/types';
import type { ProcessSupervisor } from '../vm/types';
import { ENGINES, type Engine } from '../workflows/types';

export type ActivityLogger = (message: string, fields?: object) => void;

export interface EngineRegistryOptions {
  supervisor: ProcessSupervisor;
  /** Free bytes on the filesystem holding a path; the drivers default to statfs. */
  freeDiskBytes?: (path: string) => Promise<number>;
  logger?: ActivityLogger;
}

export type EngineRegistry = (engine: Engine) => EngineDriver;

export function createEngineRegistry(options: EngineRegistryOptions): EngineRegistry {
  const log: ActivityLogger = options.logger ?? (() => undefined);
  const common = { supervisor: options.supervisor, freeDiskBytes: options.freeDiskBytes };
  const build = (engine: Engine): EngineDriver => {
    switch (engine) {
      case 'postgresql':
      case 'timescaledb':
      case 'hydra':
        return createPostgresDriver({
          ...common,
          flavour: engine,
          logger: {
            info: (message) => log(message, { engine }),
            warn: (message) => log(message, { engine, level: 'warn' }),
          },
        });
      case 'mysql':
        return createMysqlDriver({ ...common, logger: (message, fields) => log(message, { engine, ...fields }) });
      case 'redis':
      case 'keydb':
      case 'valkey':
        return createRedisDriver({
          ...common,
          flavour: engine,
          logger: (message, fields) => log(message, { engine, ...fields }),
        });
    }
  };
  const drivers = new Map<Engine, EngineDriver>();
  return (engine) => {
    // Engine names come from stored cluster specs and API input; a wrong one must fail clearly.
    if (!(ENGINES as readonly string[]).includes(engine)) {
      throw new EngineUnavailableError(`unknown engine "${engine}"; supported engines are ${ENGINES.join(', ')}`);
    }
    let driver = drivers.get(engine);
    if (driver === undefined) {
      driver = build(engine);
      drivers.set(engine, driver);
    }
    return driver;
  };
}

/** The PostgreSQL driver's extra method for releasing a removed replica's slot. */
export function hasReplicaSlots(driver: EngineDriver): driver is PostgresDriver {
  return typeof (driver as Partial<PostgresDriver>).dropReplicaSlot === 'function';
}

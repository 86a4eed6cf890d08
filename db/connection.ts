import { Sequelize } from 'sequelize';
import { initModels } from './models';

export interface DatabaseOptions {
  url: string;
  /** Embedded PGlite multiplexes connections over one backend: a small pool is enough. */
  poolMax?: number;
}

/** A Sequelize instance with every NeuroWeaver model defined on it. */
export function createDatabase({ url, poolMax = 10 }: DatabaseOptions): Sequelize {
  const sequelize = new Sequelize(url, {
    dialect: 'postgres',
    logging: false,
    pool: { max: poolMax, min: 0, idle: 10_000, acquire: 10_000 },
    dialectOptions: { connectionTimeoutMillis: 5_000 },
  });
  initModels(sequelize);
  return sequelize;
}

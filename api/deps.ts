import type { Client } from '@temporalio/client';
import type { Sequelize } from 'sequelize';
import type { Config } from '../config/env';
import type { Stores } from '../db/stores';
import type { Logger } from '../config/logger';
import type { Principal } from '../auth/token';
import type { PolicyVariables } from './auth/route-policy';

/** Everything the HTTP app needs; main.ts builds real ones, tests build real ones against test services. */
export interface ApiDeps {
  config: Config;
  jwtSecret: string;
  sequelize: Sequelize;
  /** The data layer (db/stores): SQL lives there, not in routes. */
  stores: Stores;
  temporal: Client;
  logger: Logger;
}

export interface AppEnv {
  Variables: { principal: Principal } & Partial<PolicyVariables>;
}

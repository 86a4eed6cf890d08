import type { Sequelize } from 'sequelize';
import type { Config } from '../../config/env';
import { createAlertStore } from './alerts';
import { createDeploymentStore } from './deployments';
import { createMetricsStore } from './metrics';
import { createModelStore } from './models';
import { createPlatformMetricsStore } from './platform-metrics';
import { createRateLimitStore } from './rate-limits';
import { createRoutingStore } from './routing';
import { createRoutingChangeStore } from './routing-changes';
import { createServingStore } from './serving';
import { createSwitchEventStore } from './switch-events';
import { createThresholdsStore } from './thresholds';
import { createTrainingJobStore } from './training-jobs';
import { createWatchdogStore } from './watchdog';

/**
 * The data layer of one process, built from its one Sequelize instance and injected into the API
 * (createApp) and the activities (createActivities): neither writes SQL of its own for these.
 */
export function createStores(sequelize: Sequelize, { thresholdsFile }: Pick<Config, 'thresholdsFile'>) {
  const switchEvents = createSwitchEventStore(sequelize);
  const routingChanges = createRoutingChangeStore(sequelize);
  const deployments = createDeploymentStore(sequelize);
  return {
    alerts: createAlertStore(sequelize),
    routing: createRoutingStore(sequelize, switchEvents, routingChanges, deployments),
    routingChanges,
    serving: createServingStore(sequelize),
    deployments,
    metrics: createMetricsStore(sequelize),
    models: createModelStore(sequelize),
    platform: createPlatformMetricsStore(sequelize),
    rateLimits: createRateLimitStore(sequelize),
    switchEvents,
    thresholds: createThresholdsStore(sequelize, thresholdsFile),
    trainingJobs: createTrainingJobStore(sequelize),
    watchdog: createWatchdogStore(sequelize),
  };
}

export type Stores = ReturnType<typeof createStores>;

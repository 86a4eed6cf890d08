import type { TokenParty } from '../auth/token';
import type { Client } from '@temporalio/client';
import type { Stores } from '../db/stores';
import { createDeploymentActivities } from './deployment/deployments';
import { createRelayCoreActivities } from './relaycore';
import { createDatasetActivities } from './training/datasets';
import { createEvaluationActivities } from './training/evaluate';
import { createTrainingJobActivities } from './training/jobs';
import { createRegistrationActivities } from './training/register';
import { createTrainingActivities, type TrainingDeps } from './training/train';
import { createValidationActivities } from './validation';
import { createAlertActivities } from './watchdog/alerts';
import { createObserveActivities } from './watchdog/observe';
import { createProbeClient } from './watchdog/probe-client';
import { createResumeActivities } from './watchdog/resume';
import { createSupervisorActivities } from './watchdog/supervisor';
import { createSwitchingActivities } from './watchdog/switching';
import type { ArtifactCache } from '../storage/artifact-cache';
import type { ArtifactStore } from '../storage/artifact-store';

/** What the `neuroweaver` queue's activities need; built once by the worker (or a test) and injected. */
export interface ActivityDeps {
  /** The data layer (db/stores), built once per process from the same Sequelize instance. */
  stores: Stores;
  modelStoragePath: string;
  /** The artifact store and this process's cache of it (storage/). */
  artifacts: { store: ArtifactStore; cache: ArtifactCache };
  datasetsDir: string;
  /** RELAYCORE_URL (undefined: RelayCore calls are skipped) and the URL RelayCore should call us at. */
  relaycoreUrl: string | undefined;
  serviceUrl: string;
  /** Watchdog: where the API answers probes, the secret its tokens are signed with, the thresholds file. */
  apiUrl: string;
  jwtSecret: string;
  /** The iss and aud of the probe tokens (the API's JWT_ISSUER, JWT_AUDIENCE). */
  jwtParty?: TokenParty;
  thresholdsFile: string;
  alertWebhookUrl: string | undefined;
  /** Watchdog supervision starts and queries workflows (undefined: supervision fails, nothing else does). */
  temporal: Client | undefined;
  taskQueue: string;
}

export function createActivities(deps: ActivityDeps) {
  const alerts = createAlertActivities({
    alerts: deps.stores.alerts,
    alertWebhookUrl: deps.alertWebhookUrl,
    externalUrl: deps.serviceUrl,
  });
  const probe = createProbeClient(deps);
  return {
    ...createValidationActivities({ models: deps.stores.models, artifacts: deps.artifacts.cache }),
    ...createDatasetActivities(deps),
    ...createTrainingJobActivities({ ...deps, trainingJobs: deps.stores.trainingJobs }),
    ...createRegistrationActivities({ models: deps.stores.models }),
    ...createEvaluationActivities(deps),
    ...createDeploymentActivities({
      ...deps.stores,
      probe,
      temporal: deps.temporal,
      taskQueue: deps.taskQueue,
      artifacts: deps.artifacts.cache,
      datasetsDir: deps.datasetsDir,
    }),
    ...createRelayCoreActivities(deps),
    ...createObserveActivities({ watchdog: deps.stores.watchdog, thresholds: deps.stores.thresholds, probe }),
    ...createSwitchingActivities({ routing: deps.stores.routing, switchEvents: deps.stores.switchEvents }),
    ...createResumeActivities({ watchdog: deps.stores.watchdog, thresholds: deps.stores.thresholds }),
    ...alerts,
    ...createSupervisorActivities({ ...deps, alerts }),
  };
}

/** The `neuroweaver-training` queue: only the long, GPU-bound trainModel. */
export function createTrainingWorkerActivities(deps: TrainingDeps) {
  return createTrainingActivities(deps);
}

/** Workflows proxy activities by these types only (`import type`). */
export type Activities = ReturnType<typeof createActivities>;
export type TrainingActivities = ReturnType<typeof createTrainingWorkerActivities>;
export type { TrainingDeps };

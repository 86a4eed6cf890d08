/** Every workflow the worker registers. Bundled for the workflow sandbox: keep imports workflow-safe. */
export { validateModel } from './validate-model';
export { trainingPipeline } from './training-pipeline';
export { deployModel } from './deploy-model';
export { rollbackDeployment } from './rollback-deployment';
export { performanceWatchdog } from './watchdog/performance-watchdog';
export { superviseWatchdog } from './watchdog/supervise-watchdog';
export { deliverAlertChange } from './alert-delivery';

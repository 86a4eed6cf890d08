import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import type { TrainingPipelineInput } from '../workflows/training-types';

/** A registered model version (table `models`). */
export class ModelRecord extends Model<InferAttributes<ModelRecord>, InferCreationAttributes<ModelRecord>> {
  declare id: CreationOptional<string>;
  declare name: string;
  declare description: string | null;
  declare specialization: string;
  declare baseModel: string;
  declare version: string;
  declare status: CreationOptional<string>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare createdBy: string | null;
  declare modelPath: string | null;
  declare artifactSha256: string | null;
  declare artifactSizeBytes: string | null;
  declare config: Record<string, unknown> | null;
  declare performanceMetrics: Record<string, unknown> | null;
  declare deploymentConfig: Record<string, unknown> | null;
  declare validation: CreationOptional<Record<string, unknown> | null>;
}

/** A revoked token, keyed by (sub, iat) (table `revoked_tokens`). */
export class RevokedToken extends Model<InferAttributes<RevokedToken>, InferCreationAttributes<RevokedToken>> {
  declare sub: string;
  declare iat: number;
  declare revokedAt: CreationOptional<Date>;
  declare revokedBy: string | null;
  declare reason: string | null;
}

/** A training job's workflow start: the task queue and input the API that took the job chose. */
export interface TrainingWorkflowStart {
  taskQueue: string;
  input: TrainingPipelineInput;
}

export type TrainingJobStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

/** A training job (table `training_jobs`); its workflow is `training-<id>`. */
export class TrainingJob extends Model<InferAttributes<TrainingJob>, InferCreationAttributes<TrainingJob>> {
  declare id: CreationOptional<string>;
  declare modelId: string | null;
  declare name: string;
  declare status: CreationOptional<TrainingJobStatus>;
  declare trainingConfig: Record<string, unknown>;
  declare datasetPath: string | null;
  declare outputPath: string | null;
  declare startedAt: Date | null;
  declare completedAt: Date | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare createdBy: string | null;
  declare logs: string | null;
  declare metrics: Record<string, unknown> | null;
  declare errorMessage: string | null;
  declare idempotencyKey: string | null;
  declare workflowId: string | null;
  declare specialization: string | null;
  declare trainer: string | null;
  /** What its workflow is started with, committed with the job: the start's outbox (migration 0019). */
  declare workflowStart: TrainingWorkflowStart | null;
  /** When Temporal took the start; null while the job waits for its workflow. */
  declare workflowStartedAt: Date | null;
  /** No other process sends the start before this (the holder's claim, or a failed start's back-off). */
  declare startNotBefore: Date | null;
  declare startAttempts: CreationOptional<number>;
}

export const DEPLOYMENT_STATUSES = [
  'staging',
  'rolling_out',
  'promoted',
  'rolled_back',
  'aborted',
  'failed',
  'superseded',
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** One rollout of a model to a specialization (table `deployments`); its workflow is `deployment-<specialization>`. */
export class Deployment extends Model<InferAttributes<Deployment>, InferCreationAttributes<Deployment>> {
  declare id: CreationOptional<string>;
  declare modelId: string;
  declare name: string;
  declare status: CreationOptional<DeploymentStatus>;
  declare endpointUrl: string | null;
  declare deploymentConfig: Record<string, unknown> | null;
  declare healthCheckUrl: string | null;
  declare deployedAt: Date | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare createdBy: string | null;
  declare replicas: CreationOptional<number>;
  declare resourceLimits: Record<string, unknown> | null;
  declare autoScaleConfig: Record<string, unknown> | null;
  declare specialization: string;
  declare workflowId: string | null;
  declare decisions: CreationOptional<unknown[]>;
  declare reason: string | null;
}

/** What serves a specialization (table `routing`): stable, an optional canary with its weight, the backup. */
export class Routing extends Model<InferAttributes<Routing>, InferCreationAttributes<Routing>> {
  declare specialization: string;
  declare stableDeploymentId: string | null;
  declare canaryDeploymentId: string | null;
  declare canaryWeight: CreationOptional<number>;
  declare backupDeploymentId: string | null;
  /** Set while a watchdog failover serves the backup: the primary it switched away from. */
  declare failoverFromDeploymentId: CreationOptional<string | null>;
  declare updatedAt: CreationOptional<Date>;
  declare updatedBy: string | null;
}

/** One observation (table `performance_metrics`); inference writes one row per request, in batches. */
export class PerformanceMetric extends Model<
  InferAttributes<PerformanceMetric>,
  InferCreationAttributes<PerformanceMetric>
> {
  declare id: CreationOptional<string>;
  declare modelId: string | null;
  declare deploymentId: string | null;
  declare metricType: string;
  declare metricValue: number;
  declare timestamp: CreationOptional<Date>;
  declare metadata: Record<string, unknown> | null;
  declare benchmarkName: string | null;
  declare testDataset: string | null;
}

/** The models of one Sequelize instance (see initModels). */
export interface Models {
  ModelRecord: typeof ModelRecord;
  TrainingJob: typeof TrainingJob;
  Deployment: typeof Deployment;
  Routing: typeof Routing;
  PerformanceMetric: typeof PerformanceMetric;
  RevokedToken: typeof RevokedToken;
}

/** The models bound to `sequelize` (defined on it by createDatabase). */
export function modelsOf(sequelize: Sequelize): Models {
  const models = sequelize.models as unknown as Partial<Models>;
  if (!models.ModelRecord)
    throw new Error('this Sequelize instance has no NeuroWeaver models: create it with createDatabase()');
  return models as Models;
}

/**
 * Defines the models on one Sequelize instance, as subclasses of the classes above: each instance
 * (the API's, the worker's, a test's second database) has its own, so opening another database never
 * rebinds the models a running store uses. The classes above are the types; never query them directly.
 */
export function initModels(sequelize: Sequelize): Models {
  class ModelRecordRow extends ModelRecord {}
  ModelRecordRow.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      name: { type: DataTypes.STRING(255), allowNull: false },
      description: { type: DataTypes.TEXT },
      specialization: { type: DataTypes.STRING(100), allowNull: false },
      baseModel: { type: DataTypes.STRING(100), allowNull: false },
      version: { type: DataTypes.STRING(50), allowNull: false },
      status: { type: DataTypes.STRING(50), allowNull: false, defaultValue: 'registered' },
      createdAt: { type: DataTypes.DATE },
      updatedAt: { type: DataTypes.DATE },
      createdBy: { type: DataTypes.STRING(255) },
      modelPath: { type: DataTypes.STRING(500) },
      artifactSha256: { type: DataTypes.STRING(64) },
      artifactSizeBytes: { type: DataTypes.BIGINT },
      config: { type: DataTypes.JSONB },
      performanceMetrics: { type: DataTypes.JSONB },
      deploymentConfig: { type: DataTypes.JSONB },
      validation: { type: DataTypes.JSONB },
    },
    { sequelize, modelName: 'ModelRecord', tableName: 'models', underscored: true },
  );

  class TrainingJobRow extends TrainingJob {}
  TrainingJobRow.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      modelId: { type: DataTypes.UUID },
      name: { type: DataTypes.STRING(255), allowNull: false },
      status: { type: DataTypes.STRING(50), allowNull: false, defaultValue: 'pending' },
      trainingConfig: { type: DataTypes.JSONB, allowNull: false },
      datasetPath: { type: DataTypes.STRING(500) },
      outputPath: { type: DataTypes.STRING(500) },
      startedAt: { type: DataTypes.DATE },
      completedAt: { type: DataTypes.DATE },
      createdAt: { type: DataTypes.DATE },
      updatedAt: { type: DataTypes.DATE },
      createdBy: { type: DataTypes.STRING(255) },
      logs: { type: DataTypes.TEXT },
      metrics: { type: DataTypes.JSONB },
      errorMessage: { type: DataTypes.TEXT },
      idempotencyKey: { type: DataTypes.STRING(255) },
      workflowId: { type: DataTypes.STRING(255) },
      specialization: { type: DataTypes.STRING(100) },
      trainer: { type: DataTypes.STRING(50) },
      workflowStart: { type: DataTypes.JSONB },
      workflowStartedAt: { type: DataTypes.DATE },
      startNotBefore: { type: DataTypes.DATE },
      startAttempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    },
    { sequelize, modelName: 'TrainingJob', tableName: 'training_jobs', underscored: true },
  );

  class DeploymentRow extends Deployment {}
  DeploymentRow.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      modelId: { type: DataTypes.UUID, allowNull: false },
      name: { type: DataTypes.STRING(255), allowNull: false },
      status: { type: DataTypes.STRING(50), allowNull: false, defaultValue: 'staging' },
      endpointUrl: { type: DataTypes.STRING(500) },
      deploymentConfig: { type: DataTypes.JSONB },
      healthCheckUrl: { type: DataTypes.STRING(500) },
      deployedAt: { type: DataTypes.DATE },
      createdAt: { type: DataTypes.DATE },
      updatedAt: { type: DataTypes.DATE },
      createdBy: { type: DataTypes.STRING(255) },
      replicas: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
      resourceLimits: { type: DataTypes.JSONB },
      autoScaleConfig: { type: DataTypes.JSONB },
      specialization: { type: DataTypes.STRING(100), allowNull: false },
      workflowId: { type: DataTypes.STRING(255) },
      decisions: { type: DataTypes.JSONB, allowNull: false, defaultValue: [] },
      reason: { type: DataTypes.TEXT },
    },
    { sequelize, modelName: 'Deployment', tableName: 'deployments', underscored: true },
  );

  class RoutingRow extends Routing {}
  RoutingRow.init(
    {
      specialization: { type: DataTypes.STRING(100), primaryKey: true },
      stableDeploymentId: { type: DataTypes.UUID },
      canaryDeploymentId: { type: DataTypes.UUID },
      canaryWeight: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      backupDeploymentId: { type: DataTypes.UUID },
      failoverFromDeploymentId: { type: DataTypes.UUID },
      updatedAt: { type: DataTypes.DATE },
      updatedBy: { type: DataTypes.STRING(255) },
    },
    { sequelize, modelName: 'Routing', tableName: 'routing', underscored: true, createdAt: false },
  );

  class PerformanceMetricRow extends PerformanceMetric {}
  PerformanceMetricRow.init(
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      modelId: { type: DataTypes.UUID },
      deploymentId: { type: DataTypes.UUID },
      metricType: { type: DataTypes.STRING(100), allowNull: false },
      metricValue: {
        type: DataTypes.DECIMAL(10, 4),
        allowNull: false,
        get() {
          return Number(this.getDataValue('metricValue'));
        },
      },
      timestamp: { type: DataTypes.DATE, defaultValue: DataTypes.NOW },
      metadata: { type: DataTypes.JSONB },
      benchmarkName: { type: DataTypes.STRING(100) },
      testDataset: { type: DataTypes.STRING(255) },
    },
    {
      sequelize,
      modelName: 'PerformanceMetric',
      tableName: 'performance_metrics',
      underscored: true,
      timestamps: false,
    },
  );

  class RevokedTokenRow extends RevokedToken {}
  RevokedTokenRow.init(
    {
      sub: { type: DataTypes.STRING(255), primaryKey: true },
      iat: {
        type: DataTypes.BIGINT,
        primaryKey: true,
        get() {
          return Number(this.getDataValue('iat'));
        },
      },
      revokedAt: { type: DataTypes.DATE },
      revokedBy: { type: DataTypes.STRING(255) },
      reason: { type: DataTypes.TEXT },
    },
    {
      sequelize,
      modelName: 'RevokedToken',
      tableName: 'revoked_tokens',
      underscored: true,
      timestamps: true,
      createdAt: 'revokedAt',
      updatedAt: false,
    },
  );

  return {
    ModelRecord: ModelRecordRow,
    TrainingJob: TrainingJobRow,
    Deployment: DeploymentRow,
    Routing: RoutingRow,
    PerformanceMetric: PerformanceMetricRow,
    RevokedToken: RevokedTokenRow,
  };
}

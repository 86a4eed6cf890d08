import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

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

export function initModels(sequelize: Sequelize): void {
  ModelRecord.init(
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
      config: { type: DataTypes.JSONB },
      performanceMetrics: { type: DataTypes.JSONB },
      deploymentConfig: { type: DataTypes.JSONB },
      validation: { type: DataTypes.JSONB },
    },
    { sequelize, tableName: 'models', underscored: true },
  );

  RevokedToken.init(
    {
      sub: { type: DataTypes.STRING(255), primaryKey: true },
      iat: { type: DataTypes.BIGINT, primaryKey: true, get() { return Number(this.getDataValue('iat')); } },
      revokedAt: { type: DataTypes.DATE },
      revokedBy: { type: DataTypes.STRING(255) },
      reason: { type: DataTypes.TEXT },
    },
    { sequelize, tableName: 'revoked_tokens', underscored: true, timestamps: true, createdAt: 'revokedAt', updatedAt: false },
  );
}

import type { Migration } from './umzug';

/** The four tables of seed 000, with (name, version) unique on models so training can add versions. */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
    CREATE TABLE IF NOT EXISTS models (
      id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      name VARCHAR(255) NOT NULL,
      description TEXT,
      specialization VARCHAR(100) NOT NULL,
      base_model VARCHAR(100) NOT NULL,
      version VARCHAR(50) NOT NULL,
      status VARCHAR(50) NOT NULL DEFAULT 'registered',
      created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
      created_by VARCHAR(255),
      model_path VARCHAR(500),
      config JSONB,
      performance_metrics JSONB,
      deployment_config JSONB,
      CONSTRAINT models_name_version_unique UNIQUE (name, version)
    );
    CREATE TABLE IF NOT EXISTS training_jobs (
      id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      model_id UUID REFERENCES models(id),
      name VARCHAR(255) NOT NULL,
      status VARCHAR(50) NOT NULL DEFAULT 'pending',
      training_config JSONB NOT NULL,
      dataset_path VARCHAR(500),
      output_path VARCHAR(500),
      started_at TIMESTAMPTZ,
      completed_at TIMESTAMPTZ,
      created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
      created_by VARCHAR(255),
      logs TEXT,
      metrics JSONB,
      error_message TEXT
    );
    CREATE TABLE IF NOT EXISTS deployments (
      id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      model_id UUID REFERENCES models(id),
      name VARCHAR(255) NOT NULL,
      status VARCHAR(50) NOT NULL DEFAULT 'pending',
      endpoint_url VARCHAR(500),
      deployment_config JSONB,
      health_check_url VARCHAR(500),
      deployed_at TIMESTAMPTZ,
      created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
      created_by VARCHAR(255),
      replicas INTEGER NOT NULL DEFAULT 1,
      resource_limits JSONB,
      auto_scale_config JSONB
    );
    CREATE TABLE IF NOT EXISTS performance_metrics (
      id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      model_id UUID REFERENCES models(id),
      deployment_id UUID REFERENCES deployments(id),
      metric_type VARCHAR(100) NOT NULL,
      metric_value DECIMAL(10,4) NOT NULL,
      timestamp TIMESTAMPTZ NOT NULL DEFAULT NOW(),
      metadata JSONB,
      benchmark_name VARCHAR(100),
      test_dataset VARCHAR(255)
    );
  `);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
    DROP TABLE IF EXISTS performance_metrics;
    DROP TABLE IF EXISTS deployments;
    DROP TABLE IF EXISTS training_jobs;
    DROP TABLE IF EXISTS models;
  `);
};

import type { Migration } from './umzug';

/** What serves each specialization, and the watchdog's durable trail: alerts and switch events. */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
    CREATE TABLE IF NOT EXISTS routing (
      specialization VARCHAR(100) PRIMARY KEY,
      stable_deployment_id UUID REFERENCES deployments(id),
      canary_deployment_id UUID REFERENCES deployments(id),
      canary_weight INTEGER NOT NULL DEFAULT 0 CHECK (canary_weight BETWEEN 0 AND 100),
      backup_deployment_id UUID REFERENCES deployments(id),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
      updated_by VARCHAR(255)
    );
    CREATE TABLE IF NOT EXISTS performance_alerts (
      id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      fingerprint VARCHAR(255) NOT NULL,
      specialization VARCHAR(100) NOT NULL,
      model_id UUID REFERENCES models(id),
      alert_class VARCHAR(100) NOT NULL,
      severity VARCHAR(20) NOT NULL DEFAULT 'warning',
      status VARCHAR(20) NOT NULL DEFAULT 'firing' CHECK (status IN ('firing', 'acknowledged', 'resolved')),
      summary TEXT,
      details JSONB,
      count INTEGER NOT NULL DEFAULT 1,
      first_seen TIMESTAMPTZ NOT NULL DEFAULT NOW(),
      last_seen TIMESTAMPTZ NOT NULL DEFAULT NOW(),
      acknowledged_at TIMESTAMPTZ,
      acknowledged_by VARCHAR(255),
      resolved_at TIMESTAMPTZ
    );
    CREATE TABLE IF NOT EXISTS model_switch_events (
      id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      specialization VARCHAR(100) NOT NULL,
      from_model_id UUID REFERENCES models(id),
      to_model_id UUID REFERENCES models(id),
      action VARCHAR(20) NOT NULL,
      reason TEXT NOT NULL,
      stats JSONB,
      thresholds_version INTEGER,
      workflow_id VARCHAR(255) NOT NULL,
      idempotency_key VARCHAR(255) NOT NULL UNIQUE,
      created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
    );
  `);
  // Only one alert per fingerprint may be open: a repeat updates it instead of adding a row.
  await sql.query(`
    CREATE UNIQUE INDEX IF NOT EXISTS idx_performance_alerts_open_fingerprint
      ON performance_alerts(fingerprint) WHERE status <> 'resolved';
    CREATE INDEX IF NOT EXISTS idx_model_switch_events_specialization
      ON model_switch_events(specialization, created_at DESC);
  `);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
    DROP TABLE IF EXISTS model_switch_events;
    DROP TABLE IF EXISTS performance_alerts;
    DROP TABLE IF EXISTS routing;
  `);
};

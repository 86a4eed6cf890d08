import type { Migration } from './umzug';

/**
 * What the performance watchdog needs: which primary a failover switched away from (routing), the
 * versions of the thresholds file (each decision names the version it used), and when an alert
 * was last delivered to the webhook.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
    ALTER TABLE routing ADD COLUMN IF NOT EXISTS failover_from_deployment_id UUID REFERENCES deployments(id);
    CREATE TABLE IF NOT EXISTS watchdog_thresholds (
      version SERIAL PRIMARY KEY,
      content JSONB NOT NULL,
      source VARCHAR(20) NOT NULL CHECK (source IN ('file', 'api')),
      content_sha256 CHAR(64) NOT NULL,
      created_by VARCHAR(255) NOT NULL,
      created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
    );
    ALTER TABLE performance_alerts
      ADD COLUMN IF NOT EXISTS delivered_status VARCHAR(20),
      ADD COLUMN IF NOT EXISTS delivered_at TIMESTAMPTZ;
    CREATE INDEX IF NOT EXISTS idx_performance_alerts_specialization ON performance_alerts(specialization, last_seen DESC);
  `);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`
    DROP INDEX IF EXISTS idx_performance_alerts_specialization;
    ALTER TABLE performance_alerts DROP COLUMN IF EXISTS delivered_at, DROP COLUMN IF EXISTS delivered_status;
    DROP TABLE IF EXISTS watchdog_thresholds;
    ALTER TABLE routing DROP COLUMN IF EXISTS failover_from_deployment_id;
  `);
};

import type { Migration } from './umzug';

/**
 * The windows the watchdog judged, with the counts it saw (live requests, probes, extra probes,
 * incidents): what `GET /performance/{s}/trace` exports, so a backtest replays what was decided on.
 */
export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
    CREATE TABLE IF NOT EXISTS watchdog_windows (
      specialization VARCHAR(100) NOT NULL,
      window_end TIMESTAMPTZ NOT NULL,
      deployment_id UUID NOT NULL,
      role VARCHAR(20) NOT NULL CHECK (role IN ('primary-serving', 'primary-probed')),
      stats JSONB NOT NULL,
      verdict VARCHAR(20) NOT NULL,
      created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
      PRIMARY KEY (specialization, window_end)
    );
  `);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query(`DROP TABLE IF EXISTS watchdog_windows;`);
};

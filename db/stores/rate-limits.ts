import { QueryTypes, type Sequelize } from 'sequelize';

/**
 * `rate_limit_windows`: how much of a per-minute limit every replica together has taken. A claim
 * locks the window's row, so two replicas claiming at once never both get the last uses.
 */
export function createRateLimitStore(sequelize: Sequelize) {
  return {
    /** Takes up to `want` more uses of `key` in the window starting at `windowStart`, never past `limit`. */
    async claim(
      key: string,
      windowStart: Date,
      want: number,
      limit: number,
    ): Promise<{ granted: number; used: number }> {
      return sequelize.transaction(async (transaction) => {
        const [, inserted] = await sequelize.query(
          `INSERT INTO rate_limit_windows (key, window_start, used) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING`,
          { bind: [key, windowStart], transaction },
        );
        // A key's first claim in a new minute clears its past minutes: one row per key stays.
        if (inserted)
          await sequelize.query(`DELETE FROM rate_limit_windows WHERE key = $1 AND window_start < $2`, {
            bind: [key, windowStart],
            transaction,
          });
        const [{ used }] = await sequelize.query<{ used: number }>(
          `SELECT used FROM rate_limit_windows WHERE key = $1 AND window_start = $2 FOR UPDATE`,
          { bind: [key, windowStart], type: QueryTypes.SELECT, transaction },
        );
        const granted = Math.max(0, Math.min(want, limit - used));
        if (granted > 0)
          await sequelize.query(`UPDATE rate_limit_windows SET used = used + $3 WHERE key = $1 AND window_start = $2`, {
            bind: [key, windowStart, granted],
            transaction,
          });
        return { granted, used: used + granted };
      });
    },
  };
}

export type RateLimitStore = ReturnType<typeof createRateLimitStore>;

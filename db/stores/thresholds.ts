import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { QueryTypes, type Sequelize } from 'sequelize';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { z } from 'zod';
import { ThresholdsFileSchema, type ThresholdsFile } from '../../config/performance-thresholds';

/** One version of the thresholds: every watchdog decision names the version it used. */
export interface ThresholdsVersion {
  version: number;
  thresholds: ThresholdsFile;
  source: 'file' | 'api';
  createdBy: string;
  createdAt: string;
}

/** A thresholds document that does not validate; `path` names the field, `problem` what is wrong with it. */
export class ThresholdsInvalid extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path ? `${path}: ` : ''}${problem}`);
    this.name = 'ThresholdsInvalid';
  }
}

export function parseThresholds(value: unknown): ThresholdsFile {
  const parsed = ThresholdsFileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = (parsed.error as z.ZodError).issues[0];
    throw new ThresholdsInvalid(issue.path.join('.'), issue.message);
  }
  return parsed.data;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface Row {
  version: number;
  content: ThresholdsFile;
  source: 'file' | 'api';
  createdBy: string;
  createdAt: Date;
}

const SELECT = `SELECT version, content, source, created_by AS "createdBy", created_at AS "createdAt" FROM watchdog_thresholds`;
const toVersion = (r: Row): ThresholdsVersion => ({
  version: r.version,
  thresholds: r.content,
  source: r.source,
  createdBy: r.createdBy,
  createdAt: new Date(r.createdAt).toISOString(),
});
// Serialises imports and API writes, so two processes never record the same change twice.
const LOCK = `SELECT pg_advisory_xact_lock(7412001)`;

/**
 * `watchdog_thresholds`: every version of performance_thresholds.yml, imported from the file
 * (NW_THRESHOLDS_FILE) or written through the API. One store per process, shared by the API and
 * the watchdog's activities.
 */
export function createThresholdsStore(sequelize: Sequelize, file: string) {
  /**
   * The thresholds in force. The file (NW_THRESHOLDS_FILE) is imported as a new version whenever its
   * content is one the database has not imported before, so editing it takes effect at the next
   * window; the API writes new versions too. A file that does not validate is ignored while a valid
   * version exists (and refused when none does), so a typo never turns a watchdog off.
   */
  async function current(): Promise<ThresholdsVersion> {
    let text: string | undefined;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) {
      const sha = sha256(text);
      const [known] = await sequelize.query(`SELECT 1 FROM watchdog_thresholds WHERE content_sha256 = $1 LIMIT 1`, {
        bind: [sha],
        type: QueryTypes.SELECT,
      });
      if (!known) {
        let thresholds: ThresholdsFile | undefined;
        let invalid: ThresholdsInvalid | undefined;
        try {
          thresholds = parseThresholds(parseYaml(text));
        } catch (err) {
          invalid = err instanceof ThresholdsInvalid ? err : new ThresholdsInvalid('', (err as Error).message);
        }
        if (thresholds) await insertVersion(thresholds, 'file', sha, `file:${file}`);
        else if (!(await latest())) throw new ThresholdsInvalid(invalid!.path, `${file}: ${invalid!.problem}`);
      }
    }
    const newest = await latest();
    if (!newest) throw new ThresholdsInvalid('', `${file} does not exist and no thresholds were ever saved`);
    return newest;
  }

  /** Saves a new version from the API and writes it to the file too (when the file is writable), so both agree. */
  async function save(thresholds: ThresholdsFile, by: string): Promise<ThresholdsVersion> {
    const text = `# Written through PUT /api/v1/performance/thresholds by ${by}\n${toYaml(thresholds)}`;
    // Recorded first, with the sha of the text the file will hold: a watchdog reading the file in
    // between finds a content the database knows, not a new one to import.
    const version = await insertVersion(thresholds, 'api', sha256(text), by);
    try {
      await fs.writeFile(`${file}.tmp`, text);
      await fs.rename(`${file}.tmp`, file);
    } catch {
      // A read-only file (a mounted config): the database version is the one in force.
    }
    return version;
  }

  async function history(limit: number): Promise<ThresholdsVersion[]> {
    const rows = await sequelize.query<Row>(`${SELECT} ORDER BY version DESC LIMIT $1`, {
      bind: [limit],
      type: QueryTypes.SELECT,
    });
    return rows.map(toVersion);
  }

  async function latest(): Promise<ThresholdsVersion | undefined> {
    const [row] = await sequelize.query<Row>(`${SELECT} ORDER BY version DESC LIMIT 1`, { type: QueryTypes.SELECT });
    return row ? toVersion(row) : undefined;
  }

  async function insertVersion(
    thresholds: ThresholdsFile,
    source: 'file' | 'api',
    sha: string,
    by: string,
  ): Promise<ThresholdsVersion> {
    return sequelize.transaction(async (transaction) => {
      await sequelize.query(LOCK, { transaction });
      if (source === 'file') {
        const [again] = await sequelize.query<Row>(`${SELECT} WHERE content_sha256 = $1`, {
          bind: [sha],
          type: QueryTypes.SELECT,
          transaction,
        });
        if (again) return toVersion(again);
      }
      const [row] = await sequelize.query<Row>(
        `INSERT INTO watchdog_thresholds (content, source, content_sha256, created_by) VALUES (CAST($1 AS jsonb), $2, $3, $4)
         RETURNING version, content, source, created_by AS "createdBy", created_at AS "createdAt"`,
        { bind: [JSON.stringify(thresholds), source, sha, by], type: QueryTypes.SELECT, transaction },
      );
      return toVersion(row);
    });
  }

  return { current, save, history };
}

export type ThresholdsStore = ReturnType<typeof createThresholdsStore>;

import path from 'node:path';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, type TokenParty } from '../auth/token';
import { parseS3Url, type S3Location } from '../storage/s3-url';
import { z } from 'zod';

/**
 * The share of new traces sampled in production when spans are exported (OTEL_TRACES_SAMPLER_ARG
 * not set). The budget for metrics and tracing is 2 % of the API's CPU, and a kept request span costs
 * the OpenTelemetry SDK about a fifth of that request's CPU when few requests keep one (its code and
 * data are cold by then; ~4 % when every request does). On a database-backed route (`npm run bench`):
 * 1 % kept, ~1.5 % in all; 10 %, ~3 %. A caller's sampled trace (AutoMatrix's traceparent) is
 * recorded whatever this says.
 */
export const PRODUCTION_SAMPLER_RATIO = 0.01;

/**
 * The one schema for NeuroWeaver's environment. Parsed once at process start (see load.ts);
 * nothing else reads process.env for configuration.
 */

const optionalUrl = z.url({ protocol: /^https?$/ }).optional();

/** Strict booleans: "1"/"true"/"0"/"false" only, so a typo never silently means false. */
const flag = z
  .enum(['1', 'true', '0', 'false'], { error: 'must be 1, true, 0 or false' })
  .optional()
  .transform((v) => v === '1' || v === 'true');

const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a port number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

const hostPort = z.string().regex(/^[\w.-]+:\d{1,5}$/, 'must look like host:port');

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(8002),
  NW_DATA_DIR: z.string().min(1).default('.data'),
  NW_EMBEDDED_PG_PORT: port.default(54329),
  NW_DB_POOL_MAX: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1)
    .max(500)
    .default(10),
  NW_DB_STATEMENT_TIMEOUT_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int('must be a number of milliseconds')
    .min(100)
    .max(3_600_000)
    .default(30_000),
  NW_TEMPORAL_PORT: port.default(7233),
  NW_TEMPORAL_UI_PORT: port.default(8233),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  TEMPORAL_ADDRESS: hostPort.optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('neuroweaver'),
  TEMPORAL_TRAINING_TASK_QUEUE: z.string().min(1).default('neuroweaver-training'),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  TEMPORAL_UI_URL: optionalUrl,
  TEMPORAL_TLS_CERT: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS_CA: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  AUTOMATRIX_AUTH_URL: optionalUrl,
  RELAYCORE_URL: optionalUrl,
  MODEL_STORAGE_PATH: z.string().min(1).optional(),
  ARTIFACT_STORE_URL: z
    .string()
    .refine((url) => {
      try {
        parseS3Url(url);
        return true;
      } catch {
        return false;
      }
    }, 'must look like s3://bucket or s3://bucket/prefix (unset: files under MODEL_STORAGE_PATH)')
    .optional(),
  AWS_ENDPOINT_URL_S3: optionalUrl,
  AWS_REGION: z.string().min(1).optional(),
  NW_ARTIFACT_CACHE_DIR: z.string().min(1).optional(),
  NW_MAX_ARTIFACT_BYTES: z.coerce
    .number({ error: 'must be a number of bytes' })
    .int('must be a whole number of bytes')
    .positive('must be a positive number of bytes')
    .default(5 * 1024 ** 3),
  ALERT_WEBHOOK_URL: optionalUrl,
  NW_API_URL: optionalUrl,
  NW_THRESHOLDS_FILE: z.string().min(1).optional(),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  OTEL_TRACES_SAMPLER_ARG: z.coerce
    .number({ error: 'must be a number between 0 and 1' })
    .min(0, 'must be between 0 and 1')
    .max(1, 'must be between 0 and 1')
    .optional(),
  NW_BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
  NW_RATE_LIMIT_STARTS_PER_MINUTE: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0)
    .default(60),
  NW_RATE_LIMIT_INFERENCE_PER_MINUTE: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0)
    .default(6_000),
  NW_RATE_LIMIT_INCIDENTS_PER_MINUTE: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0)
    .default(6),
  NW_WORKER_METRICS_PORT: port.default(9464),
  NW_ENABLE_FAULTS: flag,
  NW_DATASETS_DIR: z.string().min(1).optional(),
  NW_GPU_SLOTS: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0)
    .max(64)
    .optional(),
  NW_CPU_TRAINING_CONCURRENCY: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1)
    .max(64)
    .default(1),
  NW_PYTHON: z.string().min(1).default('python3'),
  NW_TRAINER_GRACE_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int()
    .min(0)
    .max(600_000)
    .default(10_000),
  NW_TRAINING_START_WAIT_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int()
    .min(0)
    .max(30_000)
    .default(250),
  JWT_ISSUER: z.string().min(1).max(255).default(DEFAULT_ISSUER),
  JWT_AUDIENCE: z.string().min(1).max(255).default(DEFAULT_AUDIENCE),
  NW_JWT_MAX_LIFETIME_DAYS: z.coerce.number({ error: 'must be a number of days' }).int().min(1).max(3650).default(400),
  NW_SHUTDOWN_GRACE_MS: z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int()
    .min(0)
    .max(600_000)
    .default(10_000),
  NW_WORKER_QUEUES: z.enum(['all', 'main', 'training']).default('all'),
  RELAYCORE_EMULATOR_PORT: port.default(3001),
  RELAYCORE_EMULATOR_HOST: z.string().min(1).default('127.0.0.1'),
  NW_INFERENCE_THREADS: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1)
    .max(32)
    .default(2),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

export type RawEnv = z.infer<typeof envSchema>;

/** Resolved configuration: defaults that depend on other variables are filled in here. */
export interface Config {
  env: RawEnv['NODE_ENV'];
  port: number;
  dataDir: string;
  /** DATABASE_URL; unset means the embedded PostgreSQL (`embeddedDatabase`), whose URL carries a password from the data dir (db/connection.ts resolves it). */
  databaseUrl: string | undefined;
  embeddedDatabase: boolean;
  embeddedPgPort: number;
  /** Connections per process (NW_DB_POOL_MAX). */
  dbPoolMax: number;
  /** NW_DB_STATEMENT_TIMEOUT_MS: the longest a statement may run; the client gives up a little later. */
  dbStatementTimeoutMs: number;
  temporal: {
    /** TEMPORAL_ADDRESS, or the embedded dev server's address (then `embedded` is true). */
    address: string;
    embedded: boolean;
    devServerPort: number;
    devServerUiPort: number;
    namespace: string;
    taskQueue: string;
    trainingTaskQueue: string;
    cliPath: string | undefined;
    uiUrl: string;
    /**
     * A cluster of your own with mTLS, or Temporal Cloud: the client certificate and key files
     * (TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY), a CA for a private server certificate, the name to
     * verify it by; or Temporal Cloud's API key (TLS, no client certificate). Undefined: plain gRPC.
     */
    tls: { certFile?: string; keyFile?: string; caFile?: string; serverName?: string } | undefined;
    apiKey: string | undefined;
  };
  jwtSecret: string | undefined;
  automatrixAuthUrl: string | undefined;
  relaycoreUrl: string | undefined;
  modelStoragePath: string;
  artifacts: {
    /** ARTIFACT_STORE_URL parsed; undefined → files under modelStoragePath. */
    s3: S3Location | undefined;
    /** Where remote artifacts are copied for reading (NW_ARTIFACT_CACHE_DIR). */
    cacheDir: string;
    /** The largest upload accepted (NW_MAX_ARTIFACT_BYTES). */
    maxBytes: number;
  };
  alertWebhookUrl: string | undefined;
  /** Where the worker reaches the API (watchdog probes): NW_API_URL, or this machine's PORT. */
  apiUrl: string;
  /** performance_thresholds.yml: the watchdog's thresholds, imported into the database when it changes. */
  thresholdsFile: string;
  metricsToken: string | undefined;
  otel: { endpoint: string | undefined; samplerRatio: number };
  bodyLimitBytes: number;
  /** Per subject and minute, across every API replica (api/rate-limits.ts); 0 = no limit. */
  rateLimits: { workflowStartsPerMinute: number; inferencePerMinute: number; incidentsPerMinute: number };
  workerMetricsPort: number;
  faultsEnabled: boolean;
  training: {
    datasetsDir: string;
    /** NW_GPU_SLOTS; undefined → ask nvidia-smi. */
    gpuSlots: number | undefined;
    cpuConcurrency: number;
    pythonPath: string;
    trainerGraceMs: number;
    /**
     * NW_TRAINING_START_WAIT_MS: how long a POST of a job waits for Temporal to take its workflow's
     * start; past it the job, already committed, is answered 202 and started by the dispatcher.
     */
    startWaitMs: number;
  };
  workerQueues: 'all' | 'main' | 'training';
  /** NW_JWT_MAX_LIFETIME_DAYS: the longest exp − iat a token may have (a token good for a century is refused). */
  jwtMaxLifetimeSeconds: number;
  /** JWT_ISSUER / JWT_AUDIENCE: the `iss` and `aud` every token must carry (and the ones we sign with). */
  jwtParty: TokenParty;
  /** NW_SHUTDOWN_GRACE_MS: how long the API takes on SIGTERM to finish requests and write its buffered metrics. */
  shutdownGraceMs: number;
  /** NW_INFERENCE_THREADS: worker threads serving inference in the API process, each with its own sessions. */
  inferenceThreads: number;
  /** Where `npm start` / `npm run relaycore:emulator` run the RelayCore emulator (local runs only). */
  relaycoreEmulator: { port: number; host: string };
  logLevel: RawEnv['LOG_LEVEL'];
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Development secrets are public (they sit in this repo's docs); production must not use one. */
export const DEV_SECRET_PREFIX = 'nw-dev-';

export function parseConfig(env: Record<string, string | undefined>): Config {
  // Empty strings count as unset, as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(String(issue.path[0] ?? 'environment'), issue.message);
  }
  const raw = parsed.data;
  if (raw.NODE_ENV === 'production') {
    if (!raw.JWT_SECRET) throw new ConfigError('JWT_SECRET', 'is required when NODE_ENV=production');
    if (raw.JWT_SECRET.startsWith(DEV_SECRET_PREFIX)) {
      throw new ConfigError('JWT_SECRET', 'is a development secret; set a real one in production');
    }
    if (!raw.DATABASE_URL)
      throw new ConfigError(
        'DATABASE_URL',
        'is required when NODE_ENV=production (the embedded PostgreSQL is for development and tests)',
      );
    if (raw.NW_ENABLE_FAULTS) throw new ConfigError('NW_ENABLE_FAULTS', 'must be off when NODE_ENV=production');
  }
  if ((raw.TEMPORAL_TLS_CERT === undefined) !== (raw.TEMPORAL_TLS_KEY === undefined))
    throw new ConfigError(
      raw.TEMPORAL_TLS_CERT === undefined ? 'TEMPORAL_TLS_CERT' : 'TEMPORAL_TLS_KEY',
      'is required with the other: a client certificate and its key go together',
    );
  const temporalTls =
    raw.TEMPORAL_TLS_CERT || raw.TEMPORAL_TLS_CA || raw.TEMPORAL_TLS_SERVER_NAME || raw.TEMPORAL_API_KEY
      ? {
          certFile: raw.TEMPORAL_TLS_CERT,
          keyFile: raw.TEMPORAL_TLS_KEY,
          caFile: raw.TEMPORAL_TLS_CA,
          serverName: raw.TEMPORAL_TLS_SERVER_NAME,
        }
      : undefined;
  const dataDir = path.resolve(raw.NW_DATA_DIR);
  return {
    env: raw.NODE_ENV,
    port: raw.PORT,
    dataDir,
    databaseUrl: raw.DATABASE_URL,
    embeddedDatabase: raw.DATABASE_URL === undefined,
    embeddedPgPort: raw.NW_EMBEDDED_PG_PORT,
    dbPoolMax: raw.NW_DB_POOL_MAX,
    dbStatementTimeoutMs: raw.NW_DB_STATEMENT_TIMEOUT_MS,
    temporal: {
      address: raw.TEMPORAL_ADDRESS ?? `127.0.0.1:${raw.NW_TEMPORAL_PORT}`,
      embedded: raw.TEMPORAL_ADDRESS === undefined,
      devServerPort: raw.NW_TEMPORAL_PORT,
      devServerUiPort: raw.NW_TEMPORAL_UI_PORT,
      namespace: raw.TEMPORAL_NAMESPACE,
      taskQueue: raw.TEMPORAL_TASK_QUEUE,
      trainingTaskQueue: raw.TEMPORAL_TRAINING_TASK_QUEUE,
      cliPath: raw.TEMPORAL_CLI_PATH,
      uiUrl: (raw.TEMPORAL_UI_URL ?? `http://localhost:${raw.NW_TEMPORAL_UI_PORT}`).replace(/\/$/, ''),
      tls: temporalTls,
      apiKey: raw.TEMPORAL_API_KEY,
    },
    jwtSecret: raw.JWT_SECRET,
    automatrixAuthUrl: raw.AUTOMATRIX_AUTH_URL,
    relaycoreUrl: raw.RELAYCORE_URL,
    modelStoragePath: path.resolve(raw.MODEL_STORAGE_PATH ?? path.join(dataDir, 'models')),
    artifacts: {
      s3: raw.ARTIFACT_STORE_URL
        ? {
            ...parseS3Url(raw.ARTIFACT_STORE_URL),
            endpoint: raw.AWS_ENDPOINT_URL_S3,
            region: raw.AWS_REGION ?? 'us-east-1',
          }
        : undefined,
      cacheDir: path.resolve(raw.NW_ARTIFACT_CACHE_DIR ?? path.join(dataDir, 'artifact-cache')),
      maxBytes: raw.NW_MAX_ARTIFACT_BYTES,
    },
    alertWebhookUrl: raw.ALERT_WEBHOOK_URL,
    apiUrl: (raw.NW_API_URL ?? `http://127.0.0.1:${raw.PORT}`).replace(/\/$/, ''),
    thresholdsFile: path.resolve(raw.NW_THRESHOLDS_FILE ?? path.join(__dirname, '..', 'performance_thresholds.yml')),
    metricsToken: raw.METRICS_TOKEN,
    otel: {
      endpoint: raw.OTEL_EXPORTER_OTLP_ENDPOINT,
      samplerRatio: raw.OTEL_TRACES_SAMPLER_ARG ?? (raw.NODE_ENV === 'production' ? PRODUCTION_SAMPLER_RATIO : 1),
    },
    bodyLimitBytes: raw.NW_BODY_LIMIT_BYTES,
    rateLimits: {
      workflowStartsPerMinute: raw.NW_RATE_LIMIT_STARTS_PER_MINUTE,
      inferencePerMinute: raw.NW_RATE_LIMIT_INFERENCE_PER_MINUTE,
      incidentsPerMinute: raw.NW_RATE_LIMIT_INCIDENTS_PER_MINUTE,
    },
    workerMetricsPort: raw.NW_WORKER_METRICS_PORT,
    faultsEnabled: raw.NW_ENABLE_FAULTS,
    training: {
      datasetsDir: path.resolve(raw.NW_DATASETS_DIR ?? path.join(__dirname, '..', 'datasets')),
      gpuSlots: raw.NW_GPU_SLOTS,
      cpuConcurrency: raw.NW_CPU_TRAINING_CONCURRENCY,
      pythonPath: raw.NW_PYTHON,
      trainerGraceMs: raw.NW_TRAINER_GRACE_MS,
      startWaitMs: raw.NW_TRAINING_START_WAIT_MS,
    },
    workerQueues: raw.NW_WORKER_QUEUES,
    shutdownGraceMs: raw.NW_SHUTDOWN_GRACE_MS,
    jwtMaxLifetimeSeconds: raw.NW_JWT_MAX_LIFETIME_DAYS * 86_400,
    jwtParty: { issuer: raw.JWT_ISSUER, audience: raw.JWT_AUDIENCE },
    inferenceThreads: raw.NW_INFERENCE_THREADS,
    relaycoreEmulator: { port: raw.RELAYCORE_EMULATOR_PORT, host: raw.RELAYCORE_EMULATOR_HOST },
    logLevel: raw.LOG_LEVEL,
  };
}

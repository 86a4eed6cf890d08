import pino from 'pino';

/** One JSON logger per process. Authorization headers and secrets are redacted wherever they appear. */
export function createLogger(
  name: string,
  level: string = process.env.LOG_LEVEL ?? 'info',
  destination?: pino.DestinationStream,
) {
  const options: pino.LoggerOptions = {
    name,
    level,
    redact: {
      paths: ['*.authorization', '*.headers.authorization', 'token', '*.token', 'secret', '*.secret', '*.password'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type Logger = ReturnType<typeof createLogger>;

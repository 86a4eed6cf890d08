import fs from 'node:fs';
import type { Config } from '../config/env';

/** What both of the SDK's connections (client and worker) take to reach the cluster. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  apiKey?: string;
}

/**
 * TEMPORAL_ADDRESS with TLS when configured (config.temporal.tls): the files read once, at start,
 * so a missing one stops the process with its name rather than failing the first connection.
 */
export function temporalConnectionOptions({ temporal }: Pick<Config, 'temporal'>): TemporalConnectionOptions {
  const read = (file: string, what: string) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new Error(`${what}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  const { tls, apiKey } = temporal;
  return {
    address: temporal.address,
    ...(tls
      ? {
          tls: {
            ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
            ...(tls.caFile ? { serverRootCACertificate: read(tls.caFile, 'TEMPORAL_TLS_CA') } : {}),
            ...(tls.certFile && tls.keyFile
              ? {
                  clientCertPair: {
                    crt: read(tls.certFile, 'TEMPORAL_TLS_CERT'),
                    key: read(tls.keyFile, 'TEMPORAL_TLS_KEY'),
                  },
                }
              : {}),
          },
        }
      : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}

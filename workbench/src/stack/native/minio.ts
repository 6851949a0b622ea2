/**
 * MinIO as a native service: `minio server <dataDir>` on 127.0.0.1 only (the pinned build gets no more
 * security fixes), console on another loopback port, root credentials and region from the environment.
 * Ready when /minio/health/live answers 200.
 */
import path from 'node:path';
import type { StackCredentials } from '../credentials.js';
import { httpStatus } from '../http.js';
import { processService } from '../service.js';
import type { ServiceHandle } from '../types.js';

export interface MinioOptions {
  binary: string;
  dataDir: string;
  logFile: string;
  port: number;
  consolePort: number;
  region: string;
  credentials: StackCredentials;
  readyTimeoutMs: number;
  /** The inherited environment (PATH, HOME...); MinIO's own variables are set on top. */
  baseEnv: Record<string, string | undefined>;
}

export function minioEndpoint(port: number): string {
  return `http://127.0.0.1:${port}`;
}

export async function minioIsLive(endpoint: string, signal: AbortSignal): Promise<boolean> {
  return (await httpStatus(`${endpoint}/minio/health/live`, signal)) === 200;
}

export function minioService(o: MinioOptions): ServiceHandle {
  const endpoint = minioEndpoint(o.port);
  return processService({
    name: 'minio',
    command: o.binary,
    args: ['server', path.resolve(o.dataDir), '--address', `127.0.0.1:${o.port}`, '--console-address', `127.0.0.1:${o.consolePort}`],
    env: {
      ...o.baseEnv,
      MINIO_ROOT_USER: o.credentials.accessKeyId,
      MINIO_ROOT_PASSWORD: o.credentials.secretAccessKey,
      MINIO_REGION: o.region,
      // No phoning home from a loopback-only dev server.
      MINIO_UPDATE: 'off',
      MINIO_CALLHOME_ENABLE: 'off',
    },
    logFile: o.logFile,
    endpoints: { s3: endpoint, console: `http://127.0.0.1:${o.consolePort}` },
    isReady: (signal) => minioIsLive(endpoint, signal),
    readyTimeoutMs: o.readyTimeoutMs,
  });
}

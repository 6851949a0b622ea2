/**
 * The shapes every stack backend (native processes, docker) produces. A command only sees a StartedStack:
 * where S3 is, which Spark master to submit to, and one idempotent stop().
 */

export interface StartedService {
  name: string;
  /** Named URLs, e.g. { s3: 'http://127.0.0.1:9000', console: '...' } or { master: 'spark://...', ui: 'http://...' }. */
  endpoints: Record<string, string>;
  logFile: string;
  pid?: number;
  /** Idempotent; resolves once every process of the service has exited. */
  stop(): Promise<void>;
}

export interface ServiceHandle {
  name: string;
  /** Resolves when the service is ready; on failure or abort it has stopped what it started. */
  start(signal: AbortSignal): Promise<StartedService>;
}

export interface S3Access {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface StartedStack {
  backend: 'native' | 'docker';
  /** The bucket is already created, in the region. */
  s3: S3Access;
  /** 'local[*]' (local profile) or 'spark://127.0.0.1:PORT' (cluster profile). */
  sparkMaster: string;
  sparkUi?: string;
  services: StartedService[];
  /** True when a healthy kept stack was reused. */
  reused: boolean;
  /** Idempotent; stops every service and removes the state file. */
  stop(): Promise<void>;
}

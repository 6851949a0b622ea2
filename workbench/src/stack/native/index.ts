/**
 * The native backend: MinIO (+ for the cluster profile a Spark master and N workers) as child processes of
 * their own, started in order, each recorded as soon as it is ready (so even a killed owner leaves a state
 * file that finds them). On failure or abort, what was started is stopped before the error propagates.
 */
import path from 'node:path';
import type { Output } from '../../terminal/index.js';
import { ServiceError } from '../../errors.js';
import { ensureBucket } from '../bucket.js';
import type { StackCredentials } from '../credentials.js';
import { isPortFree, pickFreePorts } from '../ports.js';
import type { ServiceRecord, StackShape } from '../state.js';
import type { S3Access, StackTools, StartedService } from '../types.js';
import { minioService } from './minio.js';
import { stackMarker } from './spark-env.js';
import { sparkMasterService } from './spark-master.js';
import { sparkWorkerService } from './spark-worker.js';

export interface NativeStackOptions {
  tools: StackTools;
  shape: StackShape;
  stateDir: string;
  credentials: StackCredentials;
  /** 0 = pick a free port. */
  minioPort: number;
  readyTimeoutMs: number;
  baseEnv: Record<string, string | undefined>;
  out: Output;
  signal: AbortSignal;
  /** Called after each service is ready, with everything started so far (to write the state file). */
  onProgress(records: ServiceRecord[]): void;
}

export interface NativeStack {
  s3: S3Access;
  sparkMaster?: { master: string; ui: string };
  services: StartedService[];
  records: ServiceRecord[];
}

export function nativePaths(stateDir: string) {
  return {
    minioData: path.join(stateDir, 'minio-data'),
    log: (name: string) => path.join(stateDir, 'logs', `${name}.log`),
    workerDir: (i: number) => path.join(stateDir, 'spark', `worker-${i}`),
  };
}

export async function startNativeStack(o: NativeStackOptions): Promise<NativeStack> {
  const paths = nativePaths(o.stateDir);
  const services: StartedService[] = [];
  const records: ServiceRecord[] = [];
  const started = (service: StartedService, marker: string) => {
    services.push(service);
    records.push({ name: service.name, pid: service.pid!, endpoints: service.endpoints, logFile: service.logFile, marker });
    o.onProgress(records);
  };
  try {
    const workers = o.shape.kind === 'cluster' ? o.shape.workers : 0;
    // minio + console, then master + UI, then per worker port + UI.
    const ports = await pickFreePorts(2 + (workers > 0 ? 2 + 2 * workers : 0));
    if (o.minioPort !== 0) {
      if (!(await isPortFree(o.minioPort))) {
        throw new ServiceError(`port ${o.minioPort} (stack.minioPort) is in use on 127.0.0.1`, 'set stack.minioPort: 0 in workbench.yaml to pick a free port, or free that port');
      }
      ports[0] = o.minioPort;
    }
    const [minioPort, consolePort, masterPort, masterUiPort] = ports as [number, number, number, number];

    const minio = await minioService({
      binary: o.tools.minio,
      dataDir: paths.minioData,
      logFile: paths.log('minio'),
      port: minioPort,
      consolePort,
      region: o.shape.region,
      credentials: o.credentials,
      readyTimeoutMs: o.readyTimeoutMs,
      baseEnv: o.baseEnv,
    }).start(o.signal);
    started(minio, paths.minioData);
    const s3: S3Access = { endpoint: minio.endpoints.s3!, region: o.shape.region, bucket: o.shape.bucket, ...o.credentials };
    await ensureBucket(s3, o.signal);
    o.out.info(`minio ready: ${s3.endpoint} (console ${minio.endpoints.console}), bucket ${s3.bucket} in ${s3.region}`);

    if (workers === 0) return { s3, services, records };

    const master = await sparkMasterService({
      tools: o.tools,
      port: masterPort,
      webUiPort: masterUiPort,
      logFile: paths.log('spark-master'),
      stateDir: o.stateDir,
      readyTimeoutMs: o.readyTimeoutMs,
      baseEnv: o.baseEnv,
    }).start(o.signal);
    started(master, stackMarker(o.stateDir));
    const urls = { master: master.endpoints.master!, ui: master.endpoints.ui! };
    o.out.info(`spark-master ready: ${urls.master} (ui ${urls.ui})`);

    // Workers start side by side; each is recorded as soon as it is ready so a failure of one stops the others.
    const results = await Promise.allSettled(
      Array.from({ length: workers }, async (_, k) => {
        const i = k + 1;
        const worker = await sparkWorkerService({
          index: i,
          tools: o.tools,
          master: urls,
          port: ports[4 + 2 * k]!,
          webUiPort: ports[5 + 2 * k]!,
          cores: o.shape.workerCores,
          memory: o.shape.workerMemory,
          workDir: paths.workerDir(i),
          logFile: paths.log(`spark-worker-${i}`),
          stateDir: o.stateDir,
          credentials: o.credentials,
          readyTimeoutMs: o.readyTimeoutMs,
          baseEnv: o.baseEnv,
        }).start(o.signal);
        started(worker, stackMarker(o.stateDir));
        o.out.info(`${worker.name} ready: ${o.shape.workerCores} core(s), ${o.shape.workerMemory} (ui ${worker.endpoints.ui})`);
      }),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    // Workers became ready in any order; list them by index (stop order stays the reverse of this).
    const byIndex = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name, 'en', { numeric: true });
    services.splice(2, services.length - 2, ...services.slice(2).sort(byIndex));
    records.splice(2, records.length - 2, ...records.slice(2).sort(byIndex));
    o.onProgress(records);
    return { s3, sparkMaster: urls, services, records };
  } catch (err) {
    for (const s of [...services].reverse()) await s.stop().catch(() => {});
    throw err;
  }
}

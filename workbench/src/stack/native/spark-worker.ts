/**
 * One standalone Spark worker: `spark-class org.apache.spark.deploy.worker.Worker spark://...` on 127.0.0.1.
 * Ready when the master's /json lists it (by its port) as ALIVE. The stack's S3 credentials and the venv
 * python are in its environment, which the executors it launches inherit: never on a command line.
 */
import type { StackCredentials } from '../credentials.js';
import { processService } from '../service.js';
import type { ServiceHandle, StackTools } from '../types.js';
import { sparkDaemonEnv } from './spark-env.js';
import { fetchMasterJson } from './spark-master.js';

export interface SparkWorkerOptions {
  index: number;
  tools: Pick<StackTools, 'javaHome' | 'sparkHome' | 'sparkClass' | 'python'>;
  master: { master: string; ui: string };
  port: number;
  webUiPort: number;
  cores: number;
  memory: string;
  workDir: string;
  logFile: string;
  stateDir: string;
  credentials: StackCredentials;
  readyTimeoutMs: number;
  baseEnv: Record<string, string | undefined>;
}

export function sparkWorkerService(o: SparkWorkerOptions): ServiceHandle {
  const name = `spark-worker-${o.index}`;
  return processService({
    name,
    command: o.tools.sparkClass,
    args: [
      'org.apache.spark.deploy.worker.Worker',
      '--host', '127.0.0.1',
      '--port', String(o.port),
      '--webui-port', String(o.webUiPort),
      '--cores', String(o.cores),
      '--memory', o.memory,
      '--work-dir', o.workDir,
      o.master.master,
    ],
    env: {
      ...sparkDaemonEnv(o.tools, o.stateDir, o.baseEnv),
      AWS_ACCESS_KEY_ID: o.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: o.credentials.secretAccessKey,
      PYSPARK_PYTHON: o.tools.python,
    },
    logFile: o.logFile,
    endpoints: { ui: `http://127.0.0.1:${o.webUiPort}` },
    isReady: async (signal) => {
      const json = await fetchMasterJson(o.master.ui, signal);
      return Boolean(json?.workers?.some((w) => w.port === o.port && w.state === 'ALIVE'));
    },
    readyTimeoutMs: o.readyTimeoutMs,
  });
}

/**
 * The standalone Spark master from the pip pyspark (which has no sbin/ scripts):
 * `spark-class org.apache.spark.deploy.master.Master` on 127.0.0.1. Ready when its web UI's /json says ALIVE.
 */
import { httpJson } from '../http.js';
import { processService } from '../service.js';
import type { ServiceHandle, StackTools } from '../types.js';
import { sparkDaemonEnv, type MasterJson } from './spark-env.js';

export interface SparkMasterOptions {
  tools: Pick<StackTools, 'javaHome' | 'sparkHome' | 'sparkClass'>;
  port: number;
  webUiPort: number;
  logFile: string;
  stateDir: string;
  readyTimeoutMs: number;
  baseEnv: Record<string, string | undefined>;
}

export function masterUrls(port: number, webUiPort: number): { master: string; ui: string } {
  return { master: `spark://127.0.0.1:${port}`, ui: `http://127.0.0.1:${webUiPort}` };
}

export function fetchMasterJson(ui: string, signal: AbortSignal): Promise<MasterJson | undefined> {
  return httpJson<MasterJson>(`${ui}/json/`, signal);
}

export function sparkMasterService(o: SparkMasterOptions): ServiceHandle {
  const urls = masterUrls(o.port, o.webUiPort);
  return processService({
    name: 'spark-master',
    command: o.tools.sparkClass,
    args: ['org.apache.spark.deploy.master.Master', '--host', '127.0.0.1', '--port', String(o.port), '--webui-port', String(o.webUiPort)],
    env: sparkDaemonEnv(o.tools, o.stateDir, o.baseEnv),
    logFile: o.logFile,
    endpoints: urls,
    isReady: async (signal) => (await fetchMasterJson(urls.ui, signal))?.status === 'ALIVE',
    readyTimeoutMs: o.readyTimeoutMs,
  });
}

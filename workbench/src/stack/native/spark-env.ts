/**
 * The environment of the native Spark daemons: bound to loopback, our Java, and a marker system property on
 * the JVM command line (SPARK_DAEMON_JAVA_OPTS) naming the state folder, so a pid read back from the state
 * file is only ever signalled if it still is our daemon.
 */
import type { StackTools } from '../types.js';

export function stackMarker(stateDir: string): string {
  return `-Dfruits.workbench.stack=${stateDir}`;
}

export function sparkDaemonEnv(
  tools: Pick<StackTools, 'javaHome' | 'sparkHome'>,
  stateDir: string,
  baseEnv: Record<string, string | undefined>,
): Record<string, string | undefined> {
  return {
    ...baseEnv,
    JAVA_HOME: tools.javaHome,
    SPARK_HOME: tools.sparkHome,
    SPARK_LOCAL_IP: '127.0.0.1',
    SPARK_LOCAL_HOSTNAME: 'localhost',
    SPARK_DAEMON_JAVA_OPTS: stackMarker(stateDir),
    // A user's SPARK_CONF_DIR could rebind the daemons to other interfaces.
    SPARK_CONF_DIR: undefined,
  };
}

export interface MasterJson {
  status?: string;
  workers?: { id: string; host: string; port: number; webuiaddress?: string; state: string; cores: number; memory: number }[];
  aliveworkers?: number;
}

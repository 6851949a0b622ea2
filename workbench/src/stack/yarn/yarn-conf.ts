/**
 * The settings of the rehearsal's YARN, as plain data (pure):
 * - `launcherProperties`: what RehearsalYarn.java applies to its MiniYARNCluster: every address on 127.0.0.1
 *   (the ResourceManager's on ports picked by the caller; the NodeManager's on localhost:0, which
 *   MiniYARNCluster always sets), the node sized like one EMR core node, and container memory ENFORCED:
 *   MiniYARNCluster turns the container monitor off unless `yarn.minicluster.control-resource-monitoring` is
 *   true, and it takes the node's memory from its own key `yarn.minicluster.yarn.nodemanager.resource.memory-mb`.
 * - `clientFiles`: the Hadoop conf dir a `spark-submit --master yarn` reads (HADOOP_CONF_DIR): yarn-site.xml
 *   with the ResourceManager's addresses; core-site.xml mapping s3:// (EMRFS's scheme) to S3A against the MinIO
 *   endpoint, path-style. No credentials in either file: S3A reads them from the environment.
 * - `yarnSubmitConf`: the spark-submit settings a local YARN needs that EMR's spark-defaults already has.
 */

export interface YarnNodeShape {
  /** yarn.nodemanager.resource.memory-mb of the one node. */
  memoryMb: number;
  /** yarn.nodemanager.resource.cpu-vcores. */
  vcores: number;
  /** yarn.scheduler.maximum-allocation-mb (at most memoryMb). */
  maxAllocationMb: number;
}

export interface RmPorts {
  rpc: number;
  scheduler: number;
  resourceTracker: number;
  admin: number;
  webapp: number;
}

export const LOOPBACK = '127.0.0.1';

/** EMR's yarn.scheduler.minimum-allocation-mb: containers are rounded up to 32 MB steps, as on the cluster. */
export const YARN_MIN_ALLOCATION_MB = 32;

/** YARN's default NodeManager env whitelist (Hadoop 3.3), which the extra names are appended to. */
export const DEFAULT_ENV_WHITELIST = ['JAVA_HOME', 'HADOOP_COMMON_HOME', 'HADOOP_HDFS_HOME', 'HADOOP_CONF_DIR', 'CLASSPATH_PREPEND_DISTCACHE', 'HADOOP_YARN_HOME', 'HADOOP_HOME', 'PATH', 'LANG', 'TZ'];

export function rmAddresses(ports: RmPorts) {
  const at = (port: number) => `${LOOPBACK}:${port}`;
  return {
    'yarn.resourcemanager.address': at(ports.rpc),
    'yarn.resourcemanager.scheduler.address': at(ports.scheduler),
    'yarn.resourcemanager.resource-tracker.address': at(ports.resourceTracker),
    'yarn.resourcemanager.admin.address': at(ports.admin),
    'yarn.resourcemanager.webapp.address': at(ports.webapp),
  };
}

export interface LauncherPropertiesInput {
  node: YarnNodeShape;
  ports: RmPorts;
  /** Hadoop's temp folder (inside the stack's state folder). */
  tmpDir: string;
  /**
   * Names (never values) of the launcher's environment variables that containers inherit: the S3 credentials
   * and PYSPARK_PYTHON, as an EMR node's containers get them from the node.
   */
  containerEnvNames: string[];
  /**
   * Virtual-memory check. Off by default: TensorFlow reserves ~2.5x the memory it touches (measured: 4.6 GB
   * virtual for 1.8 GB resident in one featurizing worker), so YARN's vmem check (2.1 x the container) kills
   * on address space, not on use. The physical check, the one behind "Container killed by YARN for exceeding
   * memory limits", is always on.
   */
  vmemCheck?: boolean;
  /** How often the container monitor samples the process trees (YARN's default: 3000 ms). */
  monitorIntervalMs?: number;
}

export function launcherProperties(i: LauncherPropertiesInput): Record<string, string> {
  if (i.node.maxAllocationMb > i.node.memoryMb) throw new Error('launcherProperties: maxAllocationMb > memoryMb');
  const names = [...new Set([...DEFAULT_ENV_WHITELIST, ...i.containerEnvNames])];
  return {
    // Ports chosen by the caller (all on loopback), so the client conf is written before the cluster starts.
    'yarn.minicluster.fixed.ports': 'true',
    ...rmAddresses(i.ports),
    'yarn.resourcemanager.bind-host': LOOPBACK,
    'yarn.nodemanager.bind-host': LOOPBACK,
    'yarn.timeline-service.enabled': 'false',
    'yarn.log-aggregation-enable': 'false',
    'hadoop.tmp.dir': i.tmpDir,

    // One core node of the planned instance type.
    'yarn.minicluster.yarn.nodemanager.resource.memory-mb': String(i.node.memoryMb),
    'yarn.nodemanager.resource.memory-mb': String(i.node.memoryMb),
    'yarn.nodemanager.resource.cpu-vcores': String(i.node.vcores),
    'yarn.nodemanager.resource.detect-hardware-capabilities': 'false',
    'yarn.scheduler.minimum-allocation-mb': String(YARN_MIN_ALLOCATION_MB),
    'yarn.scheduler.maximum-allocation-mb': String(i.node.maxAllocationMb),
    'yarn.scheduler.maximum-allocation-vcores': String(i.node.vcores),
    // The client-mode AM must be allowed its container (the default 10% of 12 GB would still do; be explicit).
    'yarn.scheduler.capacity.maximum-am-resource-percent': '0.5',

    // Memory enforcement, as on an EMR node.
    'yarn.minicluster.control-resource-monitoring': 'true',
    'yarn.nodemanager.container-monitor.enabled': 'true',
    'yarn.nodemanager.pmem-check-enabled': 'true',
    // Hadoop 3.3's default (true) means "cgroups' OOM killer enforces", and then the polling monitor measures
    // a container but never kills it (ContainersMonitorImpl.checkLimit returns early); no cgroups are set up
    // here, so nothing would. Off: the polling monitor kills a container over its size, with the very error
    // users meet on EMR ("Container killed by YARN for exceeding physical memory limits"). Measured here.
    'yarn.nodemanager.resource.memory.enforced': 'false',
    'yarn.nodemanager.vmem-check-enabled': String(i.vmemCheck ?? false),
    'yarn.nodemanager.container-monitor.interval-ms': String(i.monitorIntervalMs ?? 3000),
    'yarn.nodemanager.resource-monitor.interval-ms': String(i.monitorIntervalMs ?? 3000),

    // A developer's disk at 90% would otherwise mark the node's only local dir bad and the node UNHEALTHY.
    'yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage': '99.9',
    'yarn.nodemanager.env-whitelist': names.join(','),
  };
}

/** java.util.Properties text (keys and values escaped for Properties.load). */
export function propertiesText(props: Record<string, string>): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/([=:#! ])/g, '\\$1');
  return Object.entries(props)
    .map(([k, v]) => `${esc(k)}=${esc(v)}`)
    .join('\n')
    .concat('\n');
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function hadoopXml(props: Record<string, string>): string {
  const body = Object.entries(props)
    .map(([k, v]) => `  <property><name>${xmlEscape(k)}</name><value>${xmlEscape(v)}</value></property>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!-- Generated by the fruits workbench for the promote rehearsal; no credentials here. -->\n<configuration>\n${body}\n</configuration>\n`;
}

export interface S3aTarget {
  /** http://127.0.0.1:PORT (MinIO). */
  endpoint: string;
  region: string;
  /** The release's fs.s3a.aws.credentials.provider (environment variables, v1 or v2 SDK class). */
  credentialsProvider: string;
}

/** core-site.xml properties: s3:// and s3a:// through S3A against the local endpoint; credentials from the environment. */
export function coreSiteProperties(s3?: S3aTarget): Record<string, string> {
  if (!s3) return {};
  if (!/^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/?$/.test(s3.endpoint)) {
    throw new Error(`coreSiteProperties: the rehearsal's S3 endpoint must be on loopback, not ${s3.endpoint}`);
  }
  return {
    // EMR reads s3:// through EMRFS; here the same URIs go through S3A, unchanged in the plan.
    'fs.s3.impl': 'org.apache.hadoop.fs.s3a.S3AFileSystem',
    'fs.AbstractFileSystem.s3.impl': 'org.apache.hadoop.fs.s3a.S3A',
    'fs.s3a.endpoint': s3.endpoint,
    'fs.s3a.endpoint.region': s3.region,
    'fs.s3a.path.style.access': 'true',
    'fs.s3a.connection.ssl.enabled': String(s3.endpoint.startsWith('https:')),
    // Only the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY): never a key in a file.
    'fs.s3a.aws.credentials.provider': s3.credentialsProvider,
  };
}

/** The files of the client conf dir (HADOOP_CONF_DIR / YARN_CONF_DIR for spark-submit). */
export function clientFiles(ports: RmPorts, s3?: S3aTarget): Record<'yarn-site.xml' | 'core-site.xml', string> {
  return {
    'yarn-site.xml': hadoopXml({ ...rmAddresses(ports), 'yarn.resourcemanager.hostname': LOOPBACK }),
    'core-site.xml': hadoopXml(coreSiteProperties(s3)),
  };
}

/**
 * spark-submit --conf pairs a local YARN needs (EMR's spark-defaults sets its own equivalents):
 * - the jars of the pip pyspark, used in place on the node (`local:`) instead of ~300 MB uploaded per submit;
 * - the driver on loopback (it runs on this machine in client mode and the executors call it back);
 * - the staging folder inside the stack's state folder instead of ~/.sparkStaging.
 */
export function yarnSubmitConf(o: { sparkHome: string; stagingDir: string }): Record<string, string> {
  return {
    'spark.yarn.jars': `local:${o.sparkHome.replace(/\/$/, '')}/jars/*`,
    'spark.driver.host': LOOPBACK,
    'spark.driver.bindAddress': LOOPBACK,
    'spark.yarn.stagingDir': `file://${o.stagingDir}`,
  };
}

/**
 * The planned EMR Serverless job run, as a spark-submit on the local YARN (pure, so a test checks every swap).
 * The job run's sparkSubmitParameters, entry point and arguments are used as planned, except:
 * - spark.archives: the same archive from this machine's cache, `--archives <file>#environment` (the plan's is the
 *   s3:// copy of the same bytes); Spark unpacks it in every container as ./environment, as the service does;
 * - Python: executors run ./environment/bin/python (spark.executorEnv.PYSPARK_PYTHON as planned); the driver runs
 *   in client mode on this machine, from the same archive unpacked locally (Serverless runs it in a container);
 * - the sizes: as many executors of the planned shape as this machine holds (the same container size), the YARN
 *   settings of a local node and the s3a jars on the class path (EMR's Spark reads s3:// itself);
 * - spark.emr-serverless.*: passed through (Spark ignores settings it does not know, like the service's driver env).
 * s3:// URIs stay as planned: core-site.xml maps s3:// to S3A against the local endpoint.
 */
import type { SubmitPlan } from '../../job/submit-plan.js';
import type { ServerlessSizing } from '../../serverless/sizing.js';
import { PlanRefusedError } from '../../errors.js';
import { rehearsalSubmitEnv } from './submit-env.js';

/** The YARN AM of a client-mode run: 512 MB + 384 MB overhead, rounded up by YARN to 1 GB. */
export const CLIENT_AM_CONTAINER_MB = 1024;

/** `--conf k=v --conf k2=v2` -> { k: v, k2: v2 } (values have no spaces: the plan writes them). Pure. */
export function parseSparkSubmitParameters(params: string): Record<string, string> {
  const tokens = params.trim().split(/\s+/).filter(Boolean);
  const conf: Record<string, string> = {};
  for (let i = 0; i < tokens.length; i += 2) {
    const eq = tokens[i + 1]?.indexOf('=') ?? -1;
    if (tokens[i] !== '--conf' || eq < 1) throw new Error(`sparkSubmitParameters: expected --conf k=v at ${JSON.stringify(tokens.slice(i, i + 2).join(' '))}`);
    conf[tokens[i + 1]!.slice(0, eq)] = tokens[i + 1]!.slice(eq + 1);
  }
  return conf;
}

export interface ServerlessRehearsalNode {
  nodeManagerMemoryMb: number;
  nodeManagerVcores: number;
  maxAllocationMb: number;
  executorInstances: number;
  scaledDown: boolean;
}

/** One local node holding as many executors of the planned worker size as the host budget allows. Pure. */
export function serverlessRehearsalNode(s: Pick<ServerlessSizing, 'executor' | 'executors'>, hostBudgetMb: number): ServerlessRehearsalNode {
  const containerMb = s.executor.memoryGb * 1024;
  const fits = Math.min(s.executors, Math.floor((hostBudgetMb - CLIENT_AM_CONTAINER_MB) / containerMb));
  if (fits < 1) {
    throw new PlanRefusedError(
      `refused: one ${s.executor.vcpu} vCPU / ${s.executor.memoryGb} GB executor (${containerMb} MB) and the AM (${CLIENT_AM_CONTAINER_MB} MB) do not fit in the ${hostBudgetMb} MB this machine can give the rehearsal`,
      'rehearse on a machine with more memory, or plan smaller workers (profiles.<serverless>.executorVcpu)',
    );
  }
  const memory = CLIENT_AM_CONTAINER_MB + fits * containerMb;
  return { nodeManagerMemoryMb: memory, nodeManagerVcores: fits * s.executor.vcpu + 1, maxAllocationMb: containerMb, executorInstances: fits, scaledDown: fits < s.executors };
}

export interface ServerlessRehearsalInput {
  sparkSubmitParameters: string;
  entryPoint: string;
  entryPointArguments: string[];
  /** The venv archive on this machine (the same bytes the plan uploads). */
  archive: string;
  /** The archive unpacked on this machine, for the client-mode driver: <dir>/bin/python. */
  driverEnvironment: string;
  sparkSubmit: string;
  sparkHome: string;
  javaHome: string;
  s3aJars: string[];
  hadoopConfDir: string;
  /** yarnSubmitConf of the local node. */
  yarnConf: Record<string, string>;
  executorInstances: number;
  s3: { region: string; accessKeyId: string; secretAccessKey: string };
}

export function serverlessRehearsalSubmit(i: ServerlessRehearsalInput): SubmitPlan {
  const planned = parseSparkSubmitParameters(i.sparkSubmitParameters);
  const archivesUri = planned['spark.archives'];
  const fragment = archivesUri?.split('#')[1];
  if (!archivesUri || !fragment) throw new Error(`the job run has no spark.archives=<uri>#<dir> (got ${JSON.stringify(archivesUri)})`);
  const { 'spark.archives': _remote, ...rest } = planned;
  const executorPython = rest['spark.executorEnv.PYSPARK_PYTHON'];
  if (!executorPython?.startsWith(`./${fragment}/`)) throw new Error(`spark.executorEnv.PYSPARK_PYTHON (${executorPython}) does not point into ./${fragment}/`);
  const driverPython = `${i.driverEnvironment.replace(/\/$/, '')}/bin/python`;
  const cp = i.s3aJars.join(':');
  const conf: Record<string, string> = {
    ...rest,
    ...i.yarnConf,
    'spark.executor.instances': String(i.executorInstances),
    'spark.executor.extraClassPath': cp,
    'spark.pyspark.python': executorPython,
    'spark.pyspark.driver.python': driverPython,
  };
  return {
    command: i.sparkSubmit,
    args: [
      '--master', 'yarn',
      '--deploy-mode', 'client',
      '--driver-class-path', cp,
      '--archives', `${i.archive}#${fragment}`,
      ...Object.entries(conf).flatMap(([k, v]) => ['--conf', `${k}=${v}`]),
      i.entryPoint,
      ...i.entryPointArguments,
    ],
    ...rehearsalSubmitEnv({ s3: i.s3, hadoopConfDir: i.hadoopConfDir, javaHome: i.javaHome, sparkHome: i.sparkHome, python: executorPython, driverPython }),
  };
}

/** PATH without the project venv (the node must find its Python only in the archive). Pure. */
export function pathWithout(pathVar: string | undefined, dirs: string[]): string {
  const drop = dirs.map((d) => d.replace(/\/$/, ''));
  return (pathVar ?? '').split(':').filter((p) => p && !drop.some((d) => p === d || p.startsWith(`${d}/`))).join(':');
}

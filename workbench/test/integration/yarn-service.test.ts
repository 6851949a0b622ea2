/**
 * The rehearsal's local YARN on real processes: a MiniYARNCluster sized like one m5.xlarge core node, a real
 * PySpark app with a pandas UDF submitted with `spark-submit --master yarn --deploy-mode client` from the
 * project venv's pyspark, YARN's memory enforcement killing a container that goes over its size, one executor
 * container killed mid-job without changing the result, and stop() leaving no process behind.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveSparkSizing, rehearsalNode } from '../../src/emr/sizing.js';
import { ensureYarnJars, type YarnJars } from '../../src/setup/yarn-jars.js';
import type { ToolPaths } from '../../src/setup/tools.js';
import { descendants, groupMembers } from '../../src/stack/process-group.js';
import { killOneExecutorContainer } from '../../src/stack/yarn/kill-container.js';
import { yarnSubmitConf } from '../../src/stack/yarn/yarn-conf.js';
import { fetchNodeInfo, yarnService, type StartedYarn } from '../../src/stack/yarn/yarn-service.js';
import { cleanupStacks, processesMentioning, recorder, setupTools, testConfig } from './stack-fixtures/env.js';

const hasMaven = (process.env.PATH ?? '').split(path.delimiter).some((d) => d && existsSync(path.join(d, 'mvn')));
// Under CI every part is installed by set-up: never skip there.
const skipReason = !hasMaven && process.env.CI !== 'true' ? 'mvn is not installed (apt-get install maven): the YARN jars are fetched with Maven' : undefined;

const APP_OK = `
import os
import pandas as pd
from pyspark.sql import SparkSession
from pyspark.sql.functions import pandas_udf
from pyspark.sql.types import LongType

@pandas_udf(LongType())
def plus_one(s: pd.Series) -> pd.Series:
    return s + 1

spark = SparkSession.builder.appName("yarn-smoke").getOrCreate()
try:
    total = spark.range(0, 1000, numPartitions=4).select(plus_one("id").alias("x")).groupBy().sum("x").collect()[0][0]
    probe = spark.sparkContext.parallelize([0], 1).map(lambda _: os.environ.get("FRUITS_CONTAINER_PROBE", "")).collect()[0]
    print(f"RESULT total={total} master={spark.sparkContext.master} probe={probe}", flush=True)
finally:
    spark.stop()
`;

/** One Python worker touches 1.5 GB while its container is 896 MB (512 MB heap + 384 MB overhead). */
const APP_HOG = `
import time
import numpy as np
import pandas as pd
from pyspark.sql import SparkSession
from pyspark.sql.functions import pandas_udf
from pyspark.sql.types import LongType

@pandas_udf(LongType())
def hog(s: pd.Series) -> pd.Series:
    block = np.ones(1536 * 1024 * 1024 // 8)
    time.sleep(30)
    return s + int(block[0])

spark = SparkSession.builder.appName("yarn-memory-hog").getOrCreate()
try:
    spark.range(0, 10, numPartitions=1).select(hog("id")).collect()
    print("RESULT survived", flush=True)
finally:
    spark.stop()
`;

/** Slow tasks (a few seconds each, one at a time) so an executor can be killed while the job runs. */
const APP_SLOW = `
import time
import pandas as pd
from pyspark.sql import SparkSession
from pyspark.sql.functions import pandas_udf
from pyspark.sql.types import LongType

@pandas_udf(LongType())
def slow_square(s: pd.Series) -> pd.Series:
    time.sleep(3)
    return s * s

spark = SparkSession.builder.appName("yarn-kill-one").getOrCreate()
try:
    total = spark.range(0, 800, numPartitions=8).select(slow_square("id").alias("x")).groupBy().sum("x").collect()[0][0]
    print(f"RESULT total={total}", flush=True)
finally:
    spark.stop()
`;

let tools: ToolPaths;
let jars: YarnJars;
let work: string;
let yarn: StartedYarn | undefined;
const probe = randomBytes(12).toString('hex');

function submit(app: string, conf: Record<string, string>): { done: Promise<{ code: number | null; output: string }> } {
  const file = path.join(work, `${app.length}-${Date.now()}.py`);
  writeFileSync(file, app === 'ok' ? APP_OK : app === 'hog' ? APP_HOG : APP_SLOW);
  const all = {
    ...yarnSubmitConf({ sparkHome: tools.sparkHome, stagingDir: path.join(work, 'staging') }),
    'spark.pyspark.python': tools.python,
    'spark.ui.enabled': 'false',
    'spark.executor.instances': '1',
    'spark.executor.cores': '1',
    'spark.executor.memory': '512m',
    ...conf,
  };
  const args = ['--master', 'yarn', '--deploy-mode', 'client', ...Object.entries(all).flatMap(([k, v]) => ['--conf', `${k}=${v}`]), file];
  const child = spawn(tools.sparkSubmit, args, {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      JAVA_HOME: tools.javaHome,
      SPARK_HOME: tools.sparkHome,
      HADOOP_CONF_DIR: yarn!.confDir,
      SPARK_LOCAL_IP: '127.0.0.1',
      PYSPARK_PYTHON: tools.python,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return { done: new Promise((resolve) => child.on('close', (code) => resolve({ code, output }))) };
}

const tail = (s: string) => s.split('\n').slice(-40).join('\n');

describe.skipIf(skipReason !== undefined)(`local YARN for the rehearsal${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    tools = await setupTools();
    jars = await ensureYarnJars({ cacheDir: testConfig('local').cacheDir, miniclusterVersion: tools.release.yarnMinicluster, javaHome: tools.javaHome, env: process.env, out: recorder().out, signal: new AbortController().signal });
    work = mkdtempSync(path.join(tmpdir(), 'wb-yarn-'));
  });

  afterAll(async () => {
    await yarn?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    await cleanupStacks();
  });

  it('starts one m5.xlarge-shaped node on loopback with container memory enforced', async () => {
    const node = rehearsalNode(deriveSparkSizing({ instanceType: 'm5.xlarge', coreNodes: 2 }));
    yarn = await yarnService({
      jars,
      javaHome: tools.javaHome,
      stateDir: path.join(work, 'state'),
      node: { memoryMb: node.nodeManagerMemoryMb, vcores: node.nodeManagerVcores, maxAllocationMb: node.maxAllocationMb },
      s3: { endpoint: 'http://127.0.0.1:9', region: 'eu-west-3', credentialsProvider: tools.s3aCredentialsProvider },
      containerEnv: { FRUITS_CONTAINER_PROBE: probe },
      readyTimeoutMs: 180_000,
      baseEnv: process.env,
    }).start(new AbortController().signal);

    expect(yarn.resourceManager).toMatch(/^127\.0\.0\.1:\d+$/);
    const info = (await fetchNodeInfo(yarn.nodeManagerWebapp, new AbortController().signal))?.nodeInfo;
    expect(info).toMatchObject({ nodeHealthy: true, totalPmemAllocatedContainersMB: 12288, totalVCoresAllocatedContainers: 4, pmemCheckEnabled: true });

    const yarnSite = readFileSync(path.join(yarn.confDir, 'yarn-site.xml'), 'utf8');
    expect(yarnSite).toContain(`<name>yarn.resourcemanager.address</name><value>${yarn.resourceManager}</value>`);
    const coreSite = readFileSync(path.join(yarn.confDir, 'core-site.xml'), 'utf8');
    expect(coreSite).toContain('<name>fs.s3.impl</name><value>org.apache.hadoop.fs.s3a.S3AFileSystem</value>');
    expect(coreSite).toContain('<name>fs.AbstractFileSystem.s3.impl</name><value>org.apache.hadoop.fs.s3a.S3A</value>');
    expect(coreSite).toContain('<name>fs.s3a.path.style.access</name><value>true</value>');
    // Values handed to the containers travel by environment only: no file of the conf dir holds them.
    for (const f of readdirSync(yarn.confDir)) expect(readFileSync(path.join(yarn.confDir, f), 'utf8')).not.toContain(probe);
  });

  it('runs a PySpark app with a pandas UDF through spark-submit --master yarn --deploy-mode client', async () => {
    const { code, output } = await submit('ok', {}).done;
    expect(code, tail(output)).toBe(0);
    // sum(id + 1 for id in 0..999) = 500500; the executor saw the NodeManager's environment.
    expect(output).toContain(`RESULT total=500500 master=yarn probe=${probe}`);
  });

  it('kills a container that goes over its memory (YARN physical-memory enforcement)', async () => {
    const { code, output } = await submit('hog', { 'spark.task.maxFailures': '1' }).done;
    expect(code, tail(output)).not.toBe(0);
    expect(output).not.toContain('RESULT survived');
    expect(output).toContain('Container killed by YARN for exceeding physical memory limits');
  });

  it('a job whose executor container is killed mid-job still returns the same result', async () => {
    const run = submit('slow', {});
    const killed = await killOneExecutorContainer(yarn!, { signal: new AbortController().signal, timeoutMs: 240_000 });
    expect(killed.containerId).toMatch(/^container_\d+_\d+_\d+_\d+$/);
    const { code, output } = await run.done;
    expect(code, tail(output)).toBe(0);
    // sum(i*i for i in 0..799) = 170346800, whatever executor computed which partition.
    expect(output).toContain('RESULT total=170346800');
    // The driver saw that very container die (SIGKILL: exit status 137) and carried on with a new executor.
    expect(output).toMatch(new RegExp(`${killed.containerId}.*Exit status: 137`));
  });

  it('stop() is idempotent and leaves no process behind (daemons and containers)', async () => {
    const started = yarn!;
    const pid = started.pid!;
    await Promise.all([started.stop(), started.stop()]);
    await started.stop();
    expect(groupMembers(pid)).toEqual([]);
    expect(descendants(process.pid)).toEqual([]);
    expect(processesMentioning(path.join(work, 'state'))).toEqual([]);
    yarn = undefined;
  });
});

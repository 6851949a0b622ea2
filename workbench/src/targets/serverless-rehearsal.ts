/**
 * The EMR Serverless rehearsal (`npm run promote -- --profile serverless --rehearse`): the very Serverless plan,
 * with its venv archive built from the runtime lock, executed on this machine with only the endpoints swapped.
 *
 *   storage   MinIO (the native stack's) stands in for the bucket; the plan's uploads go there as planned
 *   YARN      a local node holding executors of the planned worker size, container memory enforced (stack/yarn/)
 *   job run   its sparkSubmitParameters, entry point and arguments through spark-submit --master yarn, the venv
 *             archive as --archives <file>#environment, PYSPARK_PYTHON=./environment/bin/python, and no project
 *             venv on the node's PATH (rehearsal/serverless-submit.ts)
 *   results   downloaded into runs/<run-id>/, parity against the local run of the same input (as the EC2 rehearsal)
 *
 * It ends by listing what it cannot prove (SERVERLESS_REHEARSAL_LIMITS), the Amazon Linux 2023 image first.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { RunContext } from '../context.js';
import type { EuRegion, WorkbenchConfig } from '../config/schema.js';
import { ParityError, PlanRefusedError } from '../errors.js';
import { findReference } from '../emr/local-run.js';
import { REHEARSAL_HOST_BUDGET_MB } from '../emr/sizing.js';
import { runJob } from '../job/runner.js';
import { openRunSource } from '../outputs/source.js';
import { compareOutputs } from '../parity/compare-outputs.js';
import { createJobProgressView } from '../run/job-progress-view.js';
import { createRunFolder, DRIVER_LOG, markIncomplete } from '../run/run-folder.js';
import { runRecord, writeRunRecord } from '../run/run-record.js';
import { uploadRequestOfServerless } from '../serverless/executor.js';
import type { ServerlessPlan } from '../serverless/plan.js';
import { ensureSetup } from '../setup/index.js';
import { ensureYarnJars } from '../setup/yarn-jars.js';
import { ensureBucket } from '../stack/bucket.js';
import { startStack } from '../stack/index.js';
import { yarnSubmitConf } from '../stack/yarn/yarn-conf.js';
import { yarnService } from '../stack/yarn/yarn-service.js';
import { downloadOutputs } from '../storage/download.js';
import { createS3Client } from '../storage/s3-client.js';
import { parseS3Uri } from '../storage/s3-uri.js';
import { syncUploads } from '../storage/uploader.js';
import { REHEARSAL_ACCOUNT } from './rehearsal.js';
import { pathWithout, serverlessRehearsalNode, serverlessRehearsalSubmit } from './rehearsal/serverless-submit.js';
import { writeRunReport } from './run-report.js';
import { serverlessTarget } from './serverless.js';
import type { RunOutcome } from './target.js';

/** What a Serverless rehearsal cannot prove: printed at the end of every one (docs/promote.md says the same). */
export const SERVERLESS_REHEARSAL_LIMITS = [
  'the release image (Amazon Linux 2023): the venv archive was built and run on this Debian host; its copied python3.11 and its wheels are NOT proven against the image\'s OS, glibc and /usr/bin/python3.11 (build it inside amazonlinux:2023, or use a custom image FROM public.ecr.aws/emr-serverless/spark/<release>, to be sure)',
  'the service: application start, autoStop, workers\' placement, the driver in a container (here the driver ran in client mode on this machine, from the same archive), spark.emr-serverless.* settings (ignored by Spark here)',
  'S3 access: s3:// went through S3A against MinIO; on the service EMRFS reads it with the execution role',
  'IAM: the execution role and its policy scoped to the bucket were not exercised (the moto contract test checks their shape)',
  'prices and capacity: the billed vCPU-, GB- and storage-hours and the real bill',
  'scale: the executors this machine holds, of the planned size, not the planned number',
];

export interface ServerlessRehearsalOptions {
  region: EuRegion;
  localRun?: string;
  /** A saved plan to rehearse instead of a new one. */
  plan?: ServerlessPlan;
}

export async function rehearseServerless(cfg: WorkbenchConfig, ctx: RunContext, o: ServerlessRehearsalOptions): Promise<RunOutcome> {
  const { out, signal } = ctx;
  // The plan is the Serverless target's, made without AWS, with its venv archive built from the runtime lock.
  const target = serverlessTarget(cfg, ctx, {
    region: o.region,
    dryRun: true,
    buildVenv: true,
    accountId: REHEARSAL_ACCOUNT,
    localRun: o.localRun,
    clients: () => {
      throw new Error('the rehearsal makes no AWS call');
    },
  });
  const plan = o.plan ?? (await target.plan());
  for (const line of target.describe(plan)) out.info(line);
  const archive = plan.uploads.find((u) => u.role === 'venv');
  if (!plan.venv.sha256 || !archive) {
    throw new PlanRefusedError('refused: the plan has no venv archive to rehearse with', 'rehearse without --plan (the rehearsal builds the archive), or save a plan with --plan-out (no --dry-run)');
  }
  const sparkSubmit = plan.startJobRun.jobDriver?.sparkSubmit;
  if (!sparkSubmit?.entryPoint) throw new Error('the plan has no job driver');

  const tools = await ensureSetup(cfg, out, signal, ctx.env);
  const jars = await ensureYarnJars({ cacheDir: cfg.cacheDir, miniclusterVersion: tools.release.yarnMinicluster, javaHome: tools.javaHome, env: ctx.env, out, signal });
  // The node finds Python only in the archive: no project venv on its PATH.
  const projectBin = path.dirname(tools.python);
  const nodeEnv = { ...ctx.env, PATH: pathWithout(ctx.env.PATH, [projectBin, path.join(cfg.cacheDir, 'venvs')]), VIRTUAL_ENV: undefined, PYTHONPATH: undefined, PYTHONHOME: undefined };

  // Storage: the native stack's MinIO, in a state folder of its own, holding the plan's bucket.
  const local = cfg.profiles.local;
  if (local?.kind !== 'local') throw new Error('the rehearsal needs the local profile for its MinIO');
  const stackCfg: WorkbenchConfig = {
    ...cfg,
    profileName: 'local',
    profile: { ...local, region: plan.region },
    stack: { ...cfg.stack, backend: 'native', stateDir: path.join(cfg.stack.stateDir, 'rehearsal-serverless') },
  };
  const stack = await startStack(stackCfg, tools, ctx, { keep: false, out, env: ctx.env });
  const s3Access = { ...stack.s3, bucket: plan.bucket };
  await ensureBucket(s3Access, signal);
  const s3 = createS3Client(s3Access);
  ctx.stack.defer(() => s3.destroy(), 's3 client');
  out.info(`rehearsal: s3://${plan.bucket}/ is served by MinIO at ${stack.s3.endpoint}`);
  await syncUploads(s3, uploadRequestOfServerless(plan), { out, signal, label: `upload to s3://${plan.bucket}/ (MinIO)` });

  const work = await mkdtemp(path.join(tmpdir(), 'fruits-sls-rehearsal-'));
  ctx.stack.defer(() => rm(work, { recursive: true, force: true }), 'rehearsal folder');
  // The driver runs on this machine (client mode): the same archive, unpacked here.
  const driverEnvironment = path.join(work, 'environment');
  await mkdir(driverEnvironment, { recursive: true });
  await execa('tar', ['-xzf', archive.source, '-C', driverEnvironment], { cancelSignal: signal });

  const folder = await createRunFolder(cfg.runsDir, plan.runId);
  await writeRunRecord(folder.dir, runRecord(plan.runId, 'rehearsal', plan.profileName));
  await writeFile(path.join(folder.dir, 'serverless-plan.json'), `${JSON.stringify(plan, null, 2)}\n`);

  const node = serverlessRehearsalNode(plan.sizing, REHEARSAL_HOST_BUDGET_MB);
  if (node.scaledDown) out.warn(`rehearsal: this machine holds ${node.executorInstances} of the planned ${plan.sizing.executors} executors (same worker size)`);
  const yarn = await yarnService({
    jars,
    javaHome: tools.javaHome,
    stateDir: path.join(path.resolve(cfg.root, stackCfg.stack.stateDir), 'yarn'),
    node: { memoryMb: node.nodeManagerMemoryMb, vcores: node.nodeManagerVcores, maxAllocationMb: node.maxAllocationMb },
    s3: { endpoint: stack.s3.endpoint, region: plan.region, credentialsProvider: tools.s3aCredentialsProvider },
    containerEnv: { AWS_ACCESS_KEY_ID: stack.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: stack.s3.secretAccessKey, PYSPARK_PYTHON: './environment/bin/python' },
    readyTimeoutMs: cfg.stack.readyTimeoutSeconds * 1000,
    baseEnv: nodeEnv,
  }).start(signal);
  ctx.stack.use(yarn, (y) => y.stop(), 'rehearsal YARN', 'run `npm run stop`; a leftover MiniYARNCluster JVM can be killed by its marker in `ps`');
  out.info(`rehearsal: YARN ${yarn.resourceManager}, one node of ${node.nodeManagerMemoryMb} MB / ${node.nodeManagerVcores} vcores, container memory enforced`);

  const stagingDir = path.join(work, 'staging');
  await mkdir(stagingDir, { recursive: true });
  const submit = serverlessRehearsalSubmit({
    sparkSubmitParameters: sparkSubmit.sparkSubmitParameters ?? '',
    entryPoint: sparkSubmit.entryPoint,
    entryPointArguments: sparkSubmit.entryPointArguments ?? [],
    archive: archive.source,
    driverEnvironment,
    sparkSubmit: tools.sparkSubmit,
    sparkHome: tools.sparkHome,
    javaHome: tools.javaHome,
    s3aJars: tools.s3aJars,
    hadoopConfDir: yarn.confDir,
    yarnConf: yarnSubmitConf({ sparkHome: tools.sparkHome, stagingDir }),
    executorInstances: node.executorInstances,
    s3: { region: plan.region, accessKeyId: stack.s3.accessKeyId, secretAccessKey: stack.s3.secretAccessKey },
  });
  const logFile = path.join(folder.dir, DRIVER_LOG);
  out.info(`rehearsal: the job run's sparkSubmitParameters through spark-submit --master yarn, the venv archive as #environment; full log: ${path.relative(cfg.root, logFile)}`);
  const task = out.task('  job');
  const view = createJobProgressView(out, task);
  const started = Date.now();
  let job;
  try {
    job = await runJob(submit, { logFile, signal, parentEnv: nodeEnv, warn: (l) => out.warn(l), onEvent: view }).finally(() => task.end());
  } catch (err) {
    await markIncomplete(folder.dir, signal.aborted ? 'interrupted' : 'failed', err instanceof Error ? err.message.split('\n')[0]! : String(err));
    throw err;
  }
  await writeFile(path.join(folder.dir, 'promote-outcome.json'), `${JSON.stringify({ rehearsal: true, target: 'serverless', elapsedMs: Date.now() - started, venvSha256: plan.venv.sha256 }, null, 2)}\n`);

  await downloadOutputs(s3, parseS3Uri(plan.outputUri), folder.dir, signal);
  const summary = [`Serverless rehearsal of run ${plan.runId} succeeded on the local YARN: outputs ${plan.outputUri} (MinIO), downloaded to ${path.relative(cfg.root, folder.dir)}/`];
  const localRunDir = (await findReference({ runsDir: cfg.runsDir, inputUri: plan.inputUri, localRun: o.localRun, excludeRunId: plan.runId }))?.dir;
  let parityOk: boolean | undefined;
  if (localRunDir) {
    out.info(`parity: ${localRunDir} (local) vs ${plan.outputUri} (Serverless rehearsal)`);
    const { comparison } = await compareOutputs([openRunSource(localRunDir, { runsDir: cfg.runsDir }), openRunSource(plan.outputUri, { s3Client: () => s3 })], {
      tolerances: cfg.parity,
      runsDir: cfg.runsDir,
      out,
      reportFile: path.join(folder.dir, 'parity-vs-local.json'),
    });
    parityOk = comparison.passed;
  } else {
    out.warn(`no local run of the same input in ${cfg.runsDir}: run \`npm run local -- --input ${cfg.job.input.raw}\` first to check parity`);
  }
  const report = await writeRunReport(folder.dir, cfg, ctx, () => s3);
  if (report) summary.push(`  report     ${path.relative(cfg.root, report)}`);
  summary.push('what a Serverless rehearsal cannot prove (only a real promote can):', ...SERVERLESS_REHEARSAL_LIMITS.map((l) => `  - ${l}`));
  if (parityOk === false) {
    for (const line of summary) out.result(line);
    throw new ParityError(`the Serverless rehearsal of ${plan.runId} does not agree with the local run ${path.basename(localRunDir!)}`, `see ${path.relative(cfg.root, folder.dir)}/parity-vs-local.json`);
  }
  return { runId: plan.runId, runDir: folder.dir, outputUri: plan.outputUri, manifest: job.manifest, summary };
}

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
import { PlanRefusedError } from '../errors.js';
import { REHEARSAL_HOST_BUDGET_MB } from '../emr/sizing.js';
import { createRunFolder } from '../run/run-folder.js';
import { runRecord, writeRunRecord } from '../run/run-record.js';
import { uploadRequestOfServerless } from '../serverless/executor.js';
import type { ServerlessPlan } from '../serverless/plan.js';
import { ensureSetup } from '../setup/index.js';
import { ensureYarnJars } from '../setup/yarn-jars.js';
import { yarnSubmitConf } from '../stack/yarn/yarn-conf.js';
import { REHEARSAL_ACCOUNT } from './rehearsal.js';
import { pathWithout, serverlessRehearsalNode, serverlessRehearsalSubmit } from './rehearsal/serverless-submit.js';
import { rehearsalResults, runRehearsalJob } from './rehearsal/job-and-results.js';
import { startRehearsalStorage, startRehearsalYarn } from './rehearsal/local-services.js';
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

  // The driver runs on this machine (client mode): the same archive, unpacked here while MinIO and YARN start.
  const work = await mkdtemp(path.join(tmpdir(), 'fruits-sls-rehearsal-'));
  const driverEnvironment = path.join(work, 'environment');
  await mkdir(driverEnvironment, { recursive: true });
  const unpacked = execa('tar', ['-xzf', archive.source, '-C', driverEnvironment], { cancelSignal: signal }).then(() => undefined);
  // Awaited before the submit; until then a failure elsewhere must not leave it unhandled, nor remove its folder under it.
  unpacked.catch(() => undefined);
  ctx.stack.defer(async () => {
    await unpacked.catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }, 'rehearsal folder');

  // Storage: the native stack's MinIO, in a state folder of its own, holding the plan's bucket and uploads.
  const storage = await startRehearsalStorage(cfg, tools, ctx, { stateName: 'rehearsal-serverless', region: plan.region, uploads: uploadRequestOfServerless(plan) });
  const s3 = storage.s3;

  const folder = await createRunFolder(cfg.runsDir, plan.runId);
  await writeRunRecord(folder.dir, runRecord(plan.runId, 'rehearsal', plan.profileName));
  await writeFile(path.join(folder.dir, 'serverless-plan.json'), `${JSON.stringify(plan, null, 2)}\n`);

  const node = serverlessRehearsalNode(plan.sizing, REHEARSAL_HOST_BUDGET_MB);
  if (node.scaledDown) out.warn(`rehearsal: this machine holds ${node.executorInstances} of the planned ${plan.sizing.executors} executors (same worker size)`);
  const yarn = await startRehearsalYarn(cfg, ctx, {
    jars,
    tools,
    storage,
    region: plan.region,
    node,
    python: './environment/bin/python',
    baseEnv: nodeEnv,
  });

  await unpacked;
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
    s3: { region: plan.region, accessKeyId: storage.accessKeyId, secretAccessKey: storage.secretAccessKey },
  });
  const { job, elapsedMs } = await runRehearsalJob(submit, {
    ctx,
    cfg,
    runDir: folder.dir,
    parentEnv: nodeEnv,
    what: "the job run's sparkSubmitParameters through spark-submit --master yarn, the venv archive as #environment",
  });
  await writeFile(path.join(folder.dir, 'promote-outcome.json'), `${JSON.stringify({ rehearsal: true, target: 'serverless', elapsedMs, venvSha256: plan.venv.sha256 }, null, 2)}\n`);

  return rehearsalResults({ ctx, cfg, s3, plan, runDir: folder.dir, localRun: o.localRun, job, name: 'Serverless rehearsal', limits: SERVERLESS_REHEARSAL_LIMITS });
}

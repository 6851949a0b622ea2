/**
 * The EMR rehearsal target (`npm run promote -- --rehearse`): the very promote plan (the same plan JSON and the
 * same RunJobFlow request, built by the EMR target) executed on this machine, with only the endpoints swapped.
 *
 *   storage    MinIO (the native stack's) stands in for the bucket; the same uploader mirrors the same uploads
 *   bootstrap  the plan's bootstrap script, fetched from the bucket like EMR does, runs with the plan's arguments
 *              into a fresh Python; only sudo, dnf and the aws CLI are stood in for (rehearsal/stubs.ts)
 *   YARN       a local node sized like one planned core node, container memory enforced (stack/yarn/)
 *   step       the step's HadoopJarStep.Args through spark-submit --master yarn --deploy-mode client
 *              (rehearsal/step.ts: only EMR-machine names are swapped)
 *   results    downloaded into runs/<run-id>/, parity against the local run of the same input, report.html
 *
 * It ends by listing what a rehearsal cannot prove (EMRFS, IAM, the Amazon Linux image, prices).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { RunContext } from '../context.js';
import type { WorkbenchConfig } from '../config/schema.js';
import type { PromotePlan } from '../emr/plan.js';
import { sealPlan } from '../emr/plan-file.js';
import { rehearsalNode } from '../emr/sizing.js';
import { formatForecastCheck, rehearsalForecastCheck } from '../forecast/rehearsal.js';
import { uploadRequestOf } from '../emr/uploads.js';
import { createRunFolder, markIncomplete } from '../run/run-folder.js';
import { runRecord, writeRunRecord } from '../run/run-record.js';
import { ensureSetup } from '../setup/index.js';
import { ensureYarnJars } from '../setup/yarn-jars.js';
import type { StartedYarn } from '../stack/yarn/yarn-service.js';
import { yarnSubmitConf } from '../stack/yarn/yarn-conf.js';
import { emrTarget, type EmrTargetOptions } from './emr.js';
import { runBootstrap } from './rehearsal/bootstrap.js';
import { rehearsalResults, runRehearsalJob } from './rehearsal/job-and-results.js';
import { startRehearsalStorage, startRehearsalYarn } from './rehearsal/local-services.js';
import { REHEARSAL_LIMITS, rehearsalSubmitPlan } from './rehearsal/step.js';
import { writeStubs } from './rehearsal/stubs.js';
import type { ExecutionTarget, RunOutcome } from './target.js';

/** The account id the rehearsal's plan carries where the real one would be (the default bucket name needs one). */
export const REHEARSAL_ACCOUNT = '000000000000';

export interface RehearsalOptions {
  localRun?: string;
  /** Test hook: called once the job runs on the local YARN (e.g. to kill one executor container). */
  onJobRunning?(yarn: StartedYarn): Promise<void> | void;
}

export function rehearsalTarget(cfg: WorkbenchConfig, ctx: RunContext, o: RehearsalOptions & Pick<EmrTargetOptions, 'region'>): ExecutionTarget<PromotePlan> {
  const { out, signal } = ctx;
  // The plan is the EMR target's, made without AWS: a dry run whose account id is the rehearsal's placeholder.
  const emr = emrTarget(cfg, ctx, {
    region: o.region,
    dryRun: true,
    accountId: REHEARSAL_ACCOUNT,
    localRun: o.localRun,
    clients: () => {
      throw new Error('the rehearsal makes no AWS call');
    },
    parity: async () => ({ ok: true }),
  });

  return {
    name: 'rehearsal',
    plan: () => emr.plan(),
    describe: (plan) => emr.describe(plan),

    async execute(plan): Promise<RunOutcome> {
      const tools = await ensureSetup(cfg, out, signal, ctx.env);
      const jars = await ensureYarnJars({ cacheDir: cfg.cacheDir, miniclusterVersion: tools.release.yarnMinicluster, javaHome: tools.javaHome, env: ctx.env, out, signal });

      // Storage: the native stack's MinIO, in a state folder of its own, holding the plan's bucket and uploads.
      const storage = await startRehearsalStorage(cfg, tools, ctx, { stateName: 'rehearsal', region: plan.region, uploads: uploadRequestOf(plan) });
      const s3 = storage.s3;

      // Bootstrap: the plan's script and arguments, fetched from the bucket, into a fresh Python.
      const work = await mkdtemp(path.join(tmpdir(), 'fruits-rehearsal-'));
      ctx.stack.defer(() => rm(work, { recursive: true, force: true }), 'rehearsal folder');
      const action = plan.runJobFlow.BootstrapActions?.[0]?.ScriptBootstrapAction;
      if (!action?.Path) throw new Error('the plan has no bootstrap action');
      const awsEnv = { AWS_ENDPOINT_URL_S3: storage.endpoint, AWS_ACCESS_KEY_ID: storage.accessKeyId, AWS_SECRET_ACCESS_KEY: storage.secretAccessKey, AWS_REGION: plan.region };
      const stubs = writeStubs(path.join(work, 'bin'));
      const script = path.join(work, 'bootstrap.sh');
      await execa(path.join(stubs, 'aws'), ['s3', 'cp', action.Path, script], { env: { ...ctx.env, ...awsEnv }, cancelSignal: signal });
      const python311 = path.join(work, 'python');
      out.info(`rehearsal: bootstrap action ${path.basename(action.Path)} ${(action.Args ?? []).join(' ')} into a fresh Python (${python311})`);
      await execa(tools.python311, ['-m', 'venv', python311], { cancelSignal: signal });
      const python = path.join(python311, 'bin', 'python');
      // The run folder from here on: the bootstrap's log, the plan and the record outlive the temporary folder.
      const folder = await createRunFolder(cfg.runsDir, plan.runId);
      await writeRunRecord(folder.dir, runRecord(plan.runId, 'rehearsal', plan.profileName));
      await writeFile(path.join(folder.dir, 'promote-plan.json'), `${JSON.stringify(sealPlan(plan), null, 2)}\n`);
      const boot = await runBootstrap({
        script,
        args: action.Args ?? [],
        env: { ...ctx.env, ...awsEnv, PATH: `${stubs}:${ctx.env.PATH ?? ''}`, FRUITS_BOOTSTRAP_PYTHON: python },
        runDir: folder.dir,
        signal,
      }).catch(async (err: unknown) => {
        await markIncomplete(folder.dir, signal.aborted ? 'interrupted' : 'failed', err instanceof Error ? err.message.split('\n')[0]! : String(err));
        throw err;
      });
      out.info(`rehearsal: bootstrap done (${boot.output.split('\n').filter((l) => l.startsWith('fruits-bootstrap: installing')).join('') || 'ok'})`);

      // YARN: one node of the planned shape, memory enforced.
      const node = rehearsalNode(plan.sizing);
      if (node.scaledDown) out.warn(`rehearsal: this machine holds ${node.executorInstances} of the planned ${plan.sizing.executorsPerNode} executors per node (same container size)`);
      const yarn = await startRehearsalYarn(cfg, ctx, {
        jars,
        tools,
        storage,
        region: plan.region,
        node,
        python,
        baseEnv: ctx.env,
      });

      // The step, as planned.
      const stagingDir = path.join(work, 'staging');
      await mkdir(stagingDir, { recursive: true });
      const submit = rehearsalSubmitPlan({
        stepArgs: plan.runJobFlow.Steps![0]!.HadoopJarStep!.Args!,
        sparkSubmit: tools.sparkSubmit,
        sparkHome: tools.sparkHome,
        javaHome: tools.javaHome,
        python,
        s3aJars: tools.s3aJars,
        hadoopConfDir: yarn.confDir,
        conf: { ...yarnSubmitConf({ sparkHome: tools.sparkHome, stagingDir }), 'spark.executor.instances': node.sparkConf['spark.executor.instances']! },
        s3: { region: plan.region, accessKeyId: storage.accessKeyId, secretAccessKey: storage.secretAccessKey },
      });
      let hooked = false;
      const { job, elapsedMs } = await runRehearsalJob(submit, {
        ctx,
        cfg,
        runDir: folder.dir,
        parentEnv: ctx.env,
        what: 'the step runs spark-submit --master yarn --deploy-mode client',
        onEvent: (event) => {
          if (!hooked && o.onJobRunning && event.kind === 'stage-start' && /mapInPandas|collect|save|parquet/i.test(event.name)) {
            hooked = true;
            void Promise.resolve(o.onJobRunning(yarn)).catch((err: unknown) => out.warn(`rehearsal hook: ${(err as Error).message}`));
          }
        },
      });
      // The forecast checked: the plan's step forecast for this node and host against the measured spark-submit.
      const check = rehearsalForecastCheck(plan, node.executorInstances, elapsedMs / 1000);
      if (check) out.result(`rehearsal: ${formatForecastCheck(check)}`);
      else out.info('rehearsal: the plan has no forecast (no throughput profile, or an s3:// input), so the step time is not checked');
      await writeFile(path.join(folder.dir, 'promote-outcome.json'), `${JSON.stringify({ rehearsal: true, elapsedMs, forecastCheck: check ?? null }, null, 2)}\n`);

      // Results: the same download and parity as a real promote.
      return rehearsalResults({ ctx, cfg, s3, plan, runDir: folder.dir, localRun: o.localRun, job, name: 'rehearsal', limits: REHEARSAL_LIMITS });
    },
  };
}

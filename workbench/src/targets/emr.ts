/**
 * The EMR target: the job that passed locally, on an EMR cluster in an EU region.
 *
 *   plan:    the input folder described (size + MD5), the content-addressed artifact, the resolved weights (the
 *            exact file the local run used is uploaded), the account id for the default bucket -> PromotePlan
 *            (emr/plan.ts, pure)
 *   execute: bucket, uploads (mirror of the input folder), RunJobFlow, bounded wait, teardown (emr/executor.ts),
 *            then the EMR manifest and the plan saved under runs/<run-id>/ and parity against the local run of
 *            the same input
 *
 * The cluster is registered on the scope the moment its id is known: success, failure, time-out and Ctrl-C all
 * end with it terminated.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { RunContext } from '../context.js';
import type { EuRegion, WorkbenchConfig } from '../config/schema.js';
import { ConfigError, ParityError, type PlanRefusedError } from '../errors.js';
import { preparePromoteArtifact } from '../emr/artifact-files.js';
import { toCloudError } from '../emr/aws-errors.js';
import { cleanupOwnClusters } from '../emr/cleanup.js';
import { systemClock } from '../emr/clock.js';
import type { AwsClients } from '../emr/clients.js';
import { executePromotePlan, type ExecutorTiming } from '../emr/executor.js';
import { fileSha256, findReference, referenceRefusal, type LocalRun, type PlannedRun } from '../emr/local-run.js';
import { buildPromotePlan, emrProfileOf, type PromoteInput, type PromotePlan } from '../emr/plan.js';
import { sealPlan } from '../emr/plan-file.js';
import { summarizePlan } from '../emr/plan-summary.js';
import { measureReleaseSizes } from './release-sizes.js';
import { parseManifest } from '../job/manifest.js';
import { loadThroughputProfile, THROUGHPUT_PROFILE_FILE, type ThroughputProfile } from '../forecast/profile.js';
import { comparePhases, formatPhaseComparison, readTimelines } from '../forecast/emr-actuals.js';
import { WORKER_PEAK_RSS_MB_BY_ENGINE } from '../emr/sizing.js';
import { compareOutputs } from '../parity/compare-outputs.js';
import { openRunSource } from '../outputs/source.js';
import { newRunId } from '../run/run-id.js';
import { ensureSetup, type ToolPaths } from '../setup/index.js';
import { lockFilePath } from '../setup/venv.js';
import { ensureWheelhouse } from '../setup/wheelhouse.js';
import { kerasCacheFile, resolveWeights } from '../setup/weights.js';
import { describeFile, scanImageFolder } from '../storage/local-folder.js';
import { joinKey, toEmrUri } from '../storage/s3-uri.js';
import { runRecord, writeRunRecord } from '../run/run-record.js';
import { refusePackedInput } from './input-format.js';
import { writeRunReport } from './run-report.js';
import type { CloudTarget, RunOutcome } from './target.js';

/** Compares the EMR run with the local run; injectable for tests. */
export type PromoteParity = (a: {
  cfg: WorkbenchConfig;
  /** runs/<id>/ of the local run of the same input. */
  localRunDir: string;
  /** s3://<bucket>/runs/<id>/: the EMR run's outputs, read through `clients.s3`. */
  emrOutputUri: string;
  /** runs/<emr-run-id>/ where the EMR manifest and plan were saved; the report goes there too. */
  emrRunDir: string;
  clients: AwsClients;
  ctx: RunContext;
}) => Promise<{ ok: boolean }>;

/** The EMR run's outputs (read from S3) against the local run folder, with the config's tolerances. */
export const parityAgainstLocal: PromoteParity = async ({ cfg, localRunDir, emrOutputUri, emrRunDir, clients, ctx }) => {
  ctx.out.info(`parity: ${localRunDir} (local) vs ${emrOutputUri} (EMR)`);
  const { comparison } = await compareOutputs(
    [openRunSource(localRunDir, { runsDir: cfg.runsDir }), openRunSource(emrOutputUri, { s3Client: () => clients.s3 })],
    { tolerances: cfg.parity, runsDir: cfg.runsDir, out: ctx.out, reportFile: path.join(emrRunDir, 'parity-vs-local.json') },
  );
  return { ok: comparison.passed };
};

export interface EmrTargetOptions {
  region: EuRegion;
  /** No AWS call at all: the account id stays a placeholder (unless accountId gives one). */
  dryRun: boolean;
  /** The account id to plan with when no AWS call is made (the rehearsal's placeholder). */
  accountId?: string;
  /** The local run to check against (default: the newest local run of the same input). */
  localRun?: string;
  /** The AWS clients for a region, created on first use (never for a dry run) and closed by the scope. */
  clients(region: EuRegion): AwsClients;
  parity: PromoteParity;
  timing?: Partial<ExecutorTiming>;
  /** Runs before the paid part starts (the command's confirmation prompt). */
  beforeExecute?(plan: PromotePlan): Promise<void>;
}

/**
 * The weights of the local run the cloud run is checked against, when it says which and this machine still has
 * those very bytes: its file (or Keras' file for imagenet) with the sha256 it recorded, or its random:SEED.
 */
async function localRunWeights(local: LocalRun, cfg: WorkbenchConfig, env: Record<string, string | undefined>): Promise<PromotePlanWeights | undefined> {
  const w = local.manifest.weights;
  if (w.source === 'random') return { spec: w.spec };
  const file = w.source === 'imagenet' ? kerasCacheFile(env, cfg.job.imageSize) : path.isAbsolute(w.spec) ? w.spec : undefined;
  if (!file || !existsSync(file) || !w.sha256 || (await fileSha256(file)) !== w.sha256) return undefined;
  return { spec: file, file: await describeFile(file) };
}

/** The weights for EMR: the local run's by default, else the config's, as a file in the bucket, an s3:// URI or random:SEED. */
export async function resolvePromoteWeights(cfg: WorkbenchConfig, ctx: RunContext, tools: ToolPaths, local?: LocalRun): Promise<PromotePlanWeights> {
  let spec = cfg.job.weights;
  if (spec.kind === 'auto' && local) {
    const theirs = await localRunWeights(local, cfg, ctx.env);
    if (theirs) {
      ctx.out.info(`weights: the local run ${path.basename(local.dir)}'s (${theirs.spec})`);
      return theirs;
    }
  }
  if (spec.kind === 'auto') {
    const resolved = await resolveWeights(cfg, tools, ctx.out, ctx.signal, ctx.env);
    ctx.out.info(`weights: ${resolved.description}`);
    spec = resolved.weights;
  }
  switch (spec.kind) {
    case 'random':
      return { spec: `random:${spec.seed}` };
    case 'imagenet': {
      // Keras would download its file on every node; the cluster must use the very bytes the local run used.
      const file = kerasCacheFile(ctx.env, cfg.job.imageSize);
      if (!existsSync(file)) {
        throw new ConfigError(
          [{ key: 'job.weights', message: `imagenet: Keras' file is not in ${file}, so the cluster could not get the bytes the local run used`, fix: 'use job.weights: auto (converts the shared weights) or the path of a Keras weights file' }],
          'promote',
        );
      }
      return { spec: file, file: await describeFile(file) };
    }
    case 'file':
      return { spec: spec.path, file: await describeFile(spec.path) };
    case 'uri':
      if (!/^s3[an]?:\/\//.test(spec.uri)) {
        throw new ConfigError(
          [{ key: 'job.weights', message: `${spec.uri}: EMR nodes read weights from S3 only`, fix: 'download the file and give its path (it is uploaded with the run), or an s3:// URI in the region' }],
          'promote',
        );
      }
      return { spec: toEmrUri(spec.uri) };
  }
}
type PromotePlanWeights = Parameters<typeof buildPromotePlan>[1]['weights'];

export async function resolveInput(cfg: WorkbenchConfig, ctx: RunContext): Promise<PromoteInput> {
  // Every promote plan starts here: EMR, Serverless and both rehearsals.
  refusePackedInput(cfg, 'promote', 'promote (EMR, EMR Serverless and their rehearsals)');
  const input = cfg.job.input;
  if (input.kind === 's3') return { kind: 's3', uri: toEmrUri(input.uri) };
  if (!existsSync(input.dir)) {
    throw new ConfigError([{ key: 'job.input', message: `input folder not found: ${input.dir}`, fix: 'pass --input with an existing folder of images' }], 'promote');
  }
  const { images, ignored } = await scanImageFolder(input.dir, ctx.signal);
  if (images.length === 0) {
    throw new ConfigError([{ key: 'job.input', message: `no .jpg/.jpeg/.png images under ${input.dir}`, fix: 'point --input at a folder of <Class>/<image> files' }], 'promote');
  }
  if (ignored.length > 0) ctx.out.info(`input: ${ignored.length} non-image file(s) under ${input.dir} are not uploaded`);
  return { kind: 'local', dir: input.dir, files: images };
}

/** What a saved plan computes: its artifact, the weights file it uploads (or its spec), the step's engine. */
async function plannedRunOfSaved(plan: PromotePlan): Promise<PlannedRun> {
  const args = plan.runJobFlow.Steps?.[0]?.HadoopJarStep?.Args ?? [];
  const arg = (flag: string) => { const i = args.indexOf(flag); return i >= 0 ? args[i + 1] : undefined; };
  const upload = plan.uploads.find((u) => u.role === 'weights');
  const weights: PlannedRun['weights'] = upload && existsSync(upload.source)
    ? { sha256: await fileSha256(upload.source) }
    : plan.weightsSpec.startsWith('random:') ? { random: plan.weightsSpec } : { unchecked: plan.weightsSpec };
  return { artifactSha256: plan.artifactSha256, release: plan.release.label, engine: arg('--engine') ?? 'keras', precision: arg('--precision') ?? 'f32', weights };
}

/** What the planned run computes, for the comparison with the local run. */
async function plannedRunOf(artifactSha256: string, weights: PromotePlanWeights, cfg: WorkbenchConfig): Promise<PlannedRun> {
  const w: PlannedRun['weights'] = weights.file
    ? { sha256: await fileSha256(weights.file.absPath) }
    : weights.spec.startsWith('random:')
      ? { random: weights.spec }
      : { unchecked: weights.spec };
  return { artifactSha256, release: cfg.release.label, engine: cfg.job.engine, precision: cfg.job.precision, weights: w };
}

export function emrTarget(cfg: WorkbenchConfig, ctx: RunContext, o: EmrTargetOptions): CloudTarget<PromotePlan> {
  const profile = emrProfileOf(cfg);
  /** The local run this target checked its plan against (set by plan(); a saved plan is checked in execute()). */
  let reference: LocalRun | undefined;
  const checkReference = async (local: LocalRun | undefined, planned: PlannedRun, inputUri: string) => {
    const refusal: PlanRefusedError | undefined = referenceRefusal(local, planned, { inputKey: inputUri, inputRaw: cfg.job.input.raw, runsDir: cfg.runsDir });
    if ('unchecked' in planned.weights) ctx.out.warn(`weights ${planned.weights.unchecked}: not on this machine, so not compared with the local run's`);
    if (refusal && !o.dryRun) throw refusal;
    if (refusal) ctx.out.warn(`a paid promote would refuse this plan: ${refusal.message} (fix: ${refusal.fix})`);
    reference = refusal ? undefined : local;
  };
  return {
    name: 'emr',

    async plan() {
      const input = await resolveInput(cfg, ctx);
      const tools = await ensureSetup(cfg, ctx.out, ctx.signal, ctx.env);
      // The runtime wheels ship inside the artifact: the bootstrap action installs them with --no-index.
      const wheels = await ensureWheelhouse(lockFilePath(cfg.root, cfg.release), tools.python, cfg.cacheDir, ctx.out, ctx.signal);
      const artifact = await preparePromoteArtifact(cfg.root, cfg.cacheDir, cfg.release, wheels);
      // The local run to compare with, found before anything paid: its weights are the default, and a plan it
      // cannot be compared with is refused here (a dry run and the rehearsal warn).
      const inputUri = input.kind === 'local' ? joinKey(cfg.storage.inputsPrefix, path.basename(input.dir)) : input.uri;
      const local = await findReference({ runsDir: cfg.runsDir, inputUri, localRun: o.localRun });
      const weights = await resolvePromoteWeights(cfg, ctx, tools, local);
      await checkReference(local, await plannedRunOf(artifact.sha256, weights, cfg), inputUri);
      let identity: { account?: string; arn?: string } = { account: o.accountId };
      if (!o.dryRun) {
        // The default bucket name carries the account id (bucket names are global): then the identity is
        // required. Otherwise it only tags the cluster with who started it (--cleanup), so it is best effort.
        // Read-only, free.
        const me = await o.clients(o.region).sts.send(new GetCallerIdentityCommand({})).catch((err) => {
          if (!profile.bucket) throw toCloudError(err, 'reading your AWS account id (STS GetCallerIdentity)');
          return undefined;
        });
        identity = { account: me?.Account, arn: me?.Arn };
      } else if (!profile.bucket && !o.accountId) {
        ctx.out.info('dry run: the bucket name needs your account id, shown as {account-id} (set profiles.<emr>.bucket to fix it)');
      }
      const now = new Date();
      const plan = buildPromotePlan(cfg, {
        artifact,
        input,
        weights,
        runId: newRunId(now),
        accountId: identity.account,
        owner: { clone: cloneIdOf(cfg.root), identity: identity.arn },
        // Python workers hold the engine's model: size their memory by the engine that will run.
        workerPeakRssMb: WORKER_PEAK_RSS_MB_BY_ENGINE[cfg.job.engine],
        createdAt: now.toISOString(),
        throughput: await committedThroughputProfile(cfg.root, ctx),
      });
      return { ...plan, releases: measureReleaseSizes(cfg.root, cfg.cacheDir, plan) };
    },

    describe: (plan) => summarizePlan(plan),
    toJson: (plan) => JSON.stringify(sealPlan(plan), null, 2),
    cleanup: async ({ all }) => {
      await cleanupOwnClusters(o.clients(o.region), { region: o.region, out: ctx.out, clock: systemClock, clone: cloneIdOf(cfg.root), all });
    },

    async execute(plan): Promise<RunOutcome> {
      // A saved plan (--plan FILE) was made by another command: check it against the local run here, still
      // before anything paid.
      if (!reference) await checkReference(await findReference({ runsDir: cfg.runsDir, inputUri: plan.inputUri, localRun: o.localRun, excludeRunId: plan.runId }), await plannedRunOfSaved(plan), plan.inputUri);
      await o.beforeExecute?.(plan);
      const clients = o.clients(plan.region);
      const outcome = await executePromotePlan(plan, { s3: clients.s3, emr: clients.emr, out: ctx.out, scope: ctx, timing: o.timing });

      // Keep the EMR run's record beside the local runs: its manifest and the plan that produced it.
      const runDir = path.join(cfg.runsDir, plan.runId);
      await mkdir(runDir, { recursive: true });
      await writeFile(path.join(runDir, 'manifest.json'), outcome.manifestText);
      await writeRunRecord(runDir, runRecord(plan.runId, 'emr', plan.profileName, plan.region));
      await writeFile(path.join(runDir, 'promote-plan.json'), `${JSON.stringify(sealPlan(plan), null, 2)}\n`);
      // The cluster's own up time, for the report's elapsed cost (the manifest only knows the job's time).
      // With the forecast's phase times beside EMR's own timelines (forecast/emr-actuals.ts; the report shows both).
      const phases = comparePhases(plan.forecast?.run ?? null, await readTimelines(clients.emr, outcome.clusterId, outcome.stepId));
      ctx.out.info(formatPhaseComparison(phases));
      await writeFile(path.join(runDir, 'promote-outcome.json'), `${JSON.stringify({ clusterId: outcome.clusterId, stepId: outcome.stepId, elapsedMs: outcome.elapsedMs, phases }, null, 2)}\n`);
      const shown = path.relative(cfg.root, runDir) || runDir;
      const summary = [`EMR run ${plan.runId} succeeded on ${outcome.clusterId}: outputs ${plan.outputUri}, manifest saved to ${shown}/`];
      const result: RunOutcome = { runId: plan.runId, runDir, outputUri: plan.outputUri, manifest: parseManifest(outcome.manifestText, outcome.manifestUri), summary };

      const localRunDir = reference?.dir;
      if (!localRunDir) {
        const report = await writeRunReport(runDir, cfg, ctx, () => clients.s3);
        if (report) summary.push(`  report     ${path.relative(cfg.root, report) || report}`);
        ctx.out.warn(
          `no local run of the same input (${plan.inputUri.replace(/^s3:\/\/[^/]+\//, '')}) in ${cfg.runsDir}: ` +
            `run \`npm run local -- --input ${cfg.job.input.raw}\`, then \`npm run parity -- --profile ${cfg.profileName} <local run> ${plan.outputUri}\``,
        );
        return result;
      }
      const parity = await o.parity({ cfg, localRunDir, emrOutputUri: plan.outputUri, emrRunDir: runDir, clients, ctx });
      const report = await writeRunReport(runDir, cfg, ctx, () => clients.s3);
      if (report) summary.push(`  report     ${path.relative(cfg.root, report) || report}`);
      if (!parity.ok) {
        for (const line of summary) ctx.out.result(line);
        throw new ParityError(
          `the EMR run ${plan.runId} does not agree with the local run ${path.basename(localRunDir)}`,
          `the table above shows each check; ${path.join(shown, 'parity-vs-local.json')} has them as JSON (re-run: npm run parity -- --profile ${cfg.profileName} ${localRunDir} ${plan.outputUri})`,
        );
      }
      return result;
    },
  };
}

/** bench-results/throughput-profile.json, checked; absent: no forecast (the plan says so and prices plannedMinutes). */
async function committedThroughputProfile(root: string, ctx: RunContext): Promise<ThroughputProfile | undefined> {
  const file = path.join(root, THROUGHPUT_PROFILE_FILE);
  if (existsSync(file)) return loadThroughputProfile(file);
  ctx.out.warn(`no throughput profile (${THROUGHPUT_PROFILE_FILE}): the run is not forecast; measure it with \`npm run bench -- --only scale\``);
  return undefined;
}

/** Which clone of the repository started a cluster (a tag; `--cleanup` ends only this clone's by default). */
export function cloneIdOf(root: string): string {
  return createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 12);
}

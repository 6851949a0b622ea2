/**
 * The promote plan: everything `npm run promote` will do, as plain JSON, built from the config and a few
 * described local files. Pure: no AWS client, no file access, no clock. `--dry-run` prints it, `--plan-out`
 * saves it and `--plan` executes exactly it (after plan-file.ts has validated it again).
 *
 * The job's arguments come from job/args.ts, like the local run's, so the two differ only in URIs
 * (s3:// here, s3a:// locally): what the job computes is the same.
 */
import path from 'node:path';
import type { RunJobFlowCommandInput } from '@aws-sdk/client-emr';
import type { EmrProfile, EuRegion, WorkbenchConfig } from '../config/schema.js';
import { ConfigError, PlanRefusedError } from '../errors.js';
import { cloudJobCommand } from './job-command.js';
import { artifactPrefixOf, artifactUploads, runInputUploads, weightsUpload } from './run-uploads.js';
import { joinKey, s3Uri as s3UriOf, toEmrUri } from '../storage/s3-uri.js';
import type { LocalFile } from '../storage/upload-plan.js';
import { assertEuRegion } from './region-guard.js';
import { releaseFor, type EmrRelease } from './releases.js';
import { assertWithinBudget, estimateCost, s3RequestPrices, withS3Requests, type CostEstimate, type PricedGroup } from './prices.js';
import { deriveSparkSizing, FEATURIZE_WORKER_PEAK_RSS_MB, type SparkSizing } from './sizing.js';
import { assertForecastWithinBudget, chooseCoreNodes, MAX_CORE_NODES } from '../forecast/auto-nodes.js';
import { forecastEmr, waitLimitMinutes, type EmrForecast, type S3RequestRates } from '../forecast/emr.js';
import type { Engine, ThroughputProfile } from '../forecast/profile.js';
import { TABLE_SIZES } from '../forecast/table.js';
import { ARTIFACT_TAG, CLONE_TAG, IDENTITY_TAG, OWNER_TAG, RUN_ID_TAG } from './tags.js';

export const PLAN_FORMAT = 'fruits-workbench/promote-plan@1';

/** The packed job artifact (job/artifact.ts), each file described for upload. */
export interface ArtifactFiles {
  sha256: string;
  files: { zip: LocalFile; entrypoint: LocalFile; lock: LocalFile; release: LocalFile; bootstrap: LocalFile; filter: LocalFile };
  /** The runtime wheels (relPath wheels/<file>), installed by the bootstrap action with --no-index. */
  wheels: LocalFile[];
}

export type PromoteInput =
  /** A local folder of images, mirrored to <inputsPrefix>/<folder name>/ (relPath under the folder). */
  | { kind: 'local'; dir: string; files: LocalFile[] }
  /** Images already in S3, used in place. */
  | { kind: 's3'; uri: string };

export interface PromotePlanInputs {
  artifact: ArtifactFiles;
  input: PromoteInput;
  runId: string;
  /** Resolved weights (never 'auto'): imagenet | random:SEED | an s3:// URI | a local file (uploaded). */
  weights: { spec: string; file?: LocalFile };
  /** Needed only when profiles.<emr>.bucket is empty (the default bucket name contains it). */
  accountId?: string;
  /** Who starts the cluster, for its tags: this clone of the repository and the AWS identity (ARN). */
  owner?: { clone: string; identity?: string };
  /** ISO time the plan was made; recorded, never used to decide anything. */
  createdAt: string;
  /** Measured peak RSS of one featurizing Python worker (MiB); default: sizing.ts FEATURIZE_WORKER_PEAK_RSS_MB. */
  workerPeakRssMb?: number;
  /**
   * The committed throughput profile (forecast/profile.ts). With it and a local input (whose image count is
   * known), the run is forecast: minutes and EUR per phase, the budget guard, the bounded wait, --core-nodes auto.
   * Without it (or for an s3:// input used in place), the profile's plannedMinutes is priced, as before.
   */
  throughput?: ThroughputProfile;
}

export interface PlannedUpload {
  role: 'input' | 'artifact' | 'weights';
  source: string;
  key: string;
  bytes: number;
  md5: string;
}

/** One supported release as the dry run lists it: what it runs and what it weighs here (targets/release-sizes.ts). */
export interface ReleaseSizes {
  label: string;
  emrSpark: string;
  python: string;
  java: string;
  scala: string;
  hadoop: string;
  /** The release this plan runs. */
  selected: boolean;
  /** The release the defaults follow (versions.json defaultRelease). */
  isDefault: boolean;
  /** Bytes a promote uploads once per artifact hash (job files + runtime wheels); null: its wheelhouse is not built here. */
  artifactBytes: number | null;
  wheelCount: number | null;
  /** Bytes of the s3a jars the local stack loads; null: not downloaded here. */
  s3aJarBytes: number | null;
  s3aJarCount: number;
}

export interface PromotePlan {
  format: typeof PLAN_FORMAT;
  createdAt: string;
  runId: string;
  profileName: string;
  region: EuRegion;
  bucket: string;
  release: EmrRelease;
  artifactSha256: string;
  inputUri: string;
  outputUri: string;
  logUri: string;
  weightsSpec: string;
  uploads: PlannedUpload[];
  /**
   * Prefixes that must hold exactly the planned uploads (the input folder's mirror): objects there that the
   * folder no longer has are removed, or the job would read images the user deleted.
   */
  mirror: string[];
  /** Executors, cores and memory per core node, derived from the instance type (emr/sizing.ts). */
  sizing: SparkSizing;
  /** The exact request sent to EMR RunJobFlow. */
  runJobFlow: RunJobFlowCommandInput;
  /** The executor's bounded wait from RunJobFlow to the step's end, minutes (forecast x margin, within the budget). */
  plannedMinutes: number;
  idleTimeoutMinutes: number;
  budgetEur: number;
  estimate: CostEstimate;
  /** The core node count asked for (a number or 'auto', with its target) and the one planned. */
  coreNodes: { requested: number | 'auto'; targetMinutes: number; planned: number };
  /**
   * The forecast of this run and a table for 10k-10M images on the same cluster type (null: the input count or
   * the throughput profile is unknown, and plannedMinutes is the profile's). `profile` is the throughput profile
   * it used, kept so a saved plan can be forecast again when it is loaded (plan-file.ts).
   */
  forecast: { run: EmrForecast; table: (EmrForecast & { overTarget?: boolean })[]; profile: ThroughputProfile } | null;
  /** Every supported release side by side, measured by the target (absent in plans from before releases). */
  releases?: ReleaseSizes[];
}

/** Placeholder in the default bucket name while the account id is unknown (dry run without credentials). */
export const ACCOUNT_PLACEHOLDER = '{account-id}';

export function emrProfileOf(cfg: WorkbenchConfig): EmrProfile {
  if (cfg.profile.kind !== 'emr') {
    throw new ConfigError(
      [{ key: 'profile', message: `promote needs an emr profile; "${cfg.profileName}" is a ${cfg.profile.kind} profile` }],
      'promote',
    );
  }
  return cfg.profile;
}

export function bucketName(cfg: WorkbenchConfig, region: EuRegion, accountId: string | undefined): string {
  const profile = emrProfileOf(cfg);
  if (profile.bucket) return profile.bucket;
  return `${cfg.storage.bucket}-${accountId ?? ACCOUNT_PLACEHOLDER}-${region}`;
}

const s3Uri = (bucket: string, key: string) => s3UriOf({ bucket, key });

/**
 * The instance groups of the request, from the profile, with `coreNodes` core nodes (default: the profile's
 * coreNodes when a number, else core.count). Spot applies to core nodes only: losing the master loses the run.
 */
export function instanceGroups(profile: EmrProfile, coreNodes?: number): PricedGroup[] {
  const count = coreNodes ?? (typeof profile.coreNodes === 'number' ? profile.coreNodes : profile.core.count);
  if (profile.master.count !== 1 && profile.master.count !== 3) {
    throw new PlanRefusedError(
      `refused: the EMR master group must have 1 instance (or 3 for high availability), not ${profile.master.count}`,
      'set profiles.<emr>.master.count to 1',
    );
  }
  return [
    { role: 'MASTER', instanceType: profile.master.instanceType, count: profile.master.count, market: 'ON_DEMAND' },
    { role: 'CORE', instanceType: profile.core.instanceType, count, market: profile.spot ? 'SPOT' : 'ON_DEMAND' },
  ];
}

/**
 * Forecasts a run of `images` images on `coreNodes` core nodes of the profile's type (pure). The executor layout
 * per node comes from emr/sizing.ts (memory decides how many tasks run at once), the rest from forecast/emr.ts.
 * Also what the docs' cost tables call, so their figures are the plan's.
 */
export function emrForecaster(profile: EmrProfile, throughput: ThroughputProfile, engine: Engine, workerPeakRssMb = FEATURIZE_WORKER_PEAK_RSS_MB, imagesPerTask?: number, uploadsInput = false) {
  const region = assertEuRegion(profile.region);
  const perNode = deriveSparkSizing({ instanceType: profile.core.instanceType, coreNodes: 1, workerPeakRssMb });
  return (coreNodes: number, images: number): EmrForecast =>
    forecastEmr({
      profile: throughput,
      images,
      engine,
      ...pricedCluster(region, instanceGroups(profile, coreNodes)),
      tasksPerNode: perNode.tasksPerNode,
      taskCpus: perNode.taskCpus,
      imagesPerTask,
      uploadImages: uploadsInput ? images : 0,
    });
}

/** The core group, the whole cluster's EUR per hour and S3's request prices: what forecast/emr.ts needs of a cluster. */
export function pricedCluster(region: EuRegion, groups: PricedGroup[]): { core: { instanceType: string; count: number }; eurPerHour: number; s3: S3RequestRates } {
  const core = groups.find((g) => g.role === 'CORE');
  if (!core) throw new Error('the instance groups have no CORE group');
  return { core, eurPerHour: estimateCost({ region, groups, minutes: 60, idleTimeoutMinutes: 0 }).eurPerHour, s3: s3RequestPrices(region) };
}

/** --core-nodes auto for one input size; beyond what any node count can do, the fastest, flagged. */
function autoRow(forecastFor: (nodes: number) => EmrForecast, targetMinutes: number): EmrForecast & { overTarget?: boolean } {
  try {
    return chooseCoreNodes(forecastFor, targetMinutes);
  } catch (err) {
    if (!(err instanceof PlanRefusedError)) throw err;
    const all = Array.from({ length: MAX_CORE_NODES }, (_, k) => forecastFor(k + 1));
    return { ...all.sort((a, b) => a.totalMinutes - b.totalMinutes)[0]!, overTarget: true };
  }
}

export function buildPromotePlan(cfg: WorkbenchConfig, inputs: PromotePlanInputs): PromotePlan {
  const profile = emrProfileOf(cfg);
  // Guards first, in the order a user would want to hear about them.
  const region = assertEuRegion(profile.region);
  const release = releaseFor(profile.release);
  if (profile.master.count !== 1 && profile.master.count !== 3) instanceGroups(profile, 1); // its refusal, first
  // Explicit executor memory, Python workers included: refuses an instance type it has no figures for.
  deriveSparkSizing({ instanceType: profile.core.instanceType, coreNodes: 1, workerPeakRssMb: inputs.workerPeakRssMb });
  if (inputs.weights.spec === 'auto') throw new Error("buildPromotePlan: resolve the 'auto' weights spec first");

  // The forecast (when the input count and the throughput profile are known) sizes, prices and bounds the run.
  const images = inputs.input.kind === 'local' ? inputs.input.files.length : undefined;
  const forecaster = inputs.throughput ? emrForecaster(profile, inputs.throughput, cfg.job.engine, inputs.workerPeakRssMb, cfg.job.imagesPerTask, images !== undefined) : undefined;
  const requested = profile.coreNodes ?? profile.core.count;
  let coreNodes: number;
  if (requested === 'auto') {
    if (!forecaster || images === undefined) {
      throw new PlanRefusedError(
        `refused: --core-nodes auto needs a forecast, and ${!forecaster ? 'there is no throughput profile' : `the number of images under ${inputs.input.kind === 's3' ? inputs.input.uri : 'the input'} is unknown (used in place)`}`,
        !forecaster ? 'run `npm run bench -- --only profile` (or restore bench-results/throughput-profile.json), or pass --core-nodes N' : 'give a local folder with --input, or pass --core-nodes N',
      );
    }
    coreNodes = chooseCoreNodes((n) => forecaster(n, images), profile.targetMinutes).coreNodes;
  } else coreNodes = requested;
  const groups = instanceGroups(profile, coreNodes);
  const sizing = deriveSparkSizing({ instanceType: profile.core.instanceType, coreNodes, workerPeakRssMb: inputs.workerPeakRssMb });
  let estimate: CostEstimate;
  let plannedMinutes: number;
  let forecast: PromotePlan['forecast'] = null;
  if (forecaster && images !== undefined) {
    const run = forecaster(coreNodes, images);
    assertForecastWithinBudget(run, profile.budgetEur, (n) => forecaster(n, images));
    plannedMinutes = waitLimitMinutes(run, profile.budgetEur);
    estimate = withS3Requests(
      estimateCost({ region, groups, minutes: run.totalMinutes, idleTimeoutMinutes: profile.idleTimeoutMinutes, worstCaseMinutes: plannedMinutes + run.phases.teardown.minutes }),
      run.requests.scanEur,
    );
    const table = TABLE_SIZES.map((n) => (requested === 'auto' ? autoRow((k) => forecaster(k, n), profile.targetMinutes) : forecaster(coreNodes, n)));
    forecast = { run, table, profile: inputs.throughput! };
  } else {
    plannedMinutes = profile.plannedMinutes;
    estimate = estimateCost({ region, groups, minutes: plannedMinutes, idleTimeoutMinutes: profile.idleTimeoutMinutes });
    assertWithinBudget(estimate, profile.budgetEur);
  }

  const bucket = bucketName(cfg, region, inputs.accountId);
  const artifactPrefix = artifactPrefixOf(inputs.artifact);
  // Inputs: a local folder mirrored, or s3:// images used in place.
  const input = runInputUploads(bucket, cfg.storage.inputsPrefix, inputs.input, 'EMR');
  const { inputUri, mirror } = input;
  const uploads: PlannedUpload[] = [...input.uploads];

  // The artifact: content-addressed, so an unchanged artifact is never uploaded twice.
  const artifact = artifactUploads(bucket, inputs.artifact, ['zip', 'entrypoint', 'lock', 'release', 'bootstrap', 'filter'] as const);
  uploads.push(...artifact.uploads);
  const artifactUri = artifact.uris;
  // The runtime wheels, under the same content-addressed prefix: uploaded once per artifact.
  for (const w of inputs.artifact.wheels) {
    uploads.push({ role: 'artifact', source: w.absPath, key: joinKey(artifactPrefix, 'wheels', path.basename(w.absPath)), bytes: w.size, md5: w.md5 });
  }

  // Weights: a local file travels with the run; everything else is passed as is.
  const weights = weightsUpload(bucket, inputs.weights);
  if (weights.upload) uploads.push(weights.upload);
  const weightsSpec = weights.weightsSpec;

  const outputUri = `${s3Uri(bucket, joinKey(cfg.storage.runsPrefix, inputs.runId))}/`;
  const logUri = `${s3Uri(bucket, 'logs')}/`;
  const python = `/usr/bin/python${release.python}`;
  // The entry point and its arguments: the same builder as the Serverless job run's (emr/job-command.ts).
  const command = cloudJobCommand({
    job: cfg.job,
    entrypointUri: artifactUri.entrypoint,
    zipUri: artifactUri.zip,
    inputUri,
    outputUri,
    weightsSpec,
    runId: inputs.runId,
    artifactSha256: inputs.artifact.sha256,
    release: release.label,
  });

  const runJobFlow: RunJobFlowCommandInput = {
    Name: `fruits-workbench ${inputs.runId}`,
    ReleaseLabel: release.label,
    Applications: [{ Name: 'Spark' }],
    LogUri: logUri,
    ServiceRole: profile.serviceRole,
    JobFlowRole: profile.instanceProfile,
    VisibleToAllUsers: true,
    Instances: {
      InstanceGroups: groups.map((g) => ({
        Name: g.role.toLowerCase(),
        InstanceRole: g.role,
        InstanceType: g.instanceType,
        InstanceCount: g.count,
        Market: g.market,
      })),
      // The cluster ends by itself after the step (success or failure); the workbench terminates it anyway.
      KeepJobFlowAliveWhenNoSteps: false,
      TerminationProtected: false,
      ...(profile.subnetId ? { Ec2SubnetId: profile.subnetId } : {}),
    },
    // A second safety net if both the step end and the workbench's own teardown were missed.
    AutoTerminationPolicy: { IdleTimeout: profile.idleTimeoutMinutes * 60 },
    BootstrapActions: [
      {
        // From the wheels shipped in the artifact, checked against the lock's hashes: no node needs PyPI.
        Name: 'Install the pinned Python runtime from the shipped wheels (requirements.lock without pyspark)',
        ScriptBootstrapAction: { Path: artifactUri.bootstrap, Args: [`${s3Uri(bucket, artifactPrefix)}/`, release.python, release.spark] },
      },
    ],
    Configurations: [
      { Classification: 'spark-env', Configurations: [{ Classification: 'export', Properties: { PYSPARK_PYTHON: python, PYSPARK_DRIVER_PYTHON: python } }] },
      { Classification: 'yarn-env', Configurations: [{ Classification: 'export', Properties: { PYSPARK_PYTHON: python } }] },
      // No maximizeResourceAllocation: the model lives in every Python worker (one per running task), outside the
      // JVM heap, so executor memory is sized explicitly below (step --conf), Python workers included.
    ],
    Steps: [
      {
        Name: `fruits-job ${inputs.runId}`,
        ActionOnFailure: 'TERMINATE_CLUSTER',
        HadoopJarStep: {
          Jar: 'command-runner.jar',
          // Client mode: the driver runs on the master and its log is the step's stderr, which step-logs.ts reads.
          Args: [
            'spark-submit',
            '--master',
            'yarn',
            '--deploy-mode',
            'client',
            ...Object.entries(sizing.sparkConf).flatMap(([k, v]) => ['--conf', `${k}=${v}`]),
            '--py-files',
            command.pyFiles,
            command.entryPoint,
            ...command.entryPointArguments,
          ],
        },
      },
    ],
    Tags: [
      ...Object.entries(profile.tags)
        .filter(([k]) => !k.startsWith(OWNER_TAG.Key))
        .map(([Key, Value]) => ({ Key, Value })),
      { ...OWNER_TAG },
      { Key: RUN_ID_TAG, Value: inputs.runId },
      { Key: ARTIFACT_TAG, Value: inputs.artifact.sha256 },
      ...(inputs.owner ? [{ Key: CLONE_TAG, Value: inputs.owner.clone }] : []),
      ...(inputs.owner?.identity ? [{ Key: IDENTITY_TAG, Value: inputs.owner.identity }] : []),
    ],
  };

  return {
    format: PLAN_FORMAT,
    createdAt: inputs.createdAt,
    runId: inputs.runId,
    profileName: cfg.profileName,
    region,
    bucket,
    release,
    artifactSha256: inputs.artifact.sha256,
    inputUri,
    outputUri,
    logUri,
    weightsSpec,
    uploads,
    mirror,
    sizing,
    runJobFlow,
    plannedMinutes,
    idleTimeoutMinutes: profile.idleTimeoutMinutes,
    budgetEur: profile.budgetEur,
    estimate,
    coreNodes: { requested, targetMinutes: profile.targetMinutes, planned: coreNodes },
    forecast,
  };
}

/** The spark-submit step's job arguments (everything after the entry point), for display and tests. */
export function stepJobArguments(plan: Pick<PromotePlan, 'runJobFlow'>): string[] {
  const args = plan.runJobFlow.Steps?.[0]?.HadoopJarStep?.Args ?? [];
  const entry = args.findIndex((a) => a.endsWith('/entrypoint.py'));
  return entry < 0 ? [] : args.slice(entry + 1);
}

/**
 * The EMR Serverless plan: everything `npm run promote --profile serverless` will do, as plain JSON. Pure: no
 * AWS client, no file access, no clock. `--dry-run` prints it, `--plan-out` saves it, `--plan` executes it.
 *
 *   CreateApplication  release, x86_64, maximumCapacity = exactly the planned workers, autoStart, autoStop after a
 *                      short idle time, tagged as the workbench's
 *   StartJobRun        the artifact's entry point with the SAME arguments as the EC2 step (emr/job-command.ts),
 *                      the venv archive as #environment with PYSPARK_PYTHON into it, the worker sizes, the S3 log
 *                      URI and executionTimeoutMinutes (the service cancels the run there)
 *   uploads            inputs mirrored, the artifact, the weights, the venv archive (beside the artifact, same hash)
 */
import path from 'node:path';
import type { CreateApplicationCommandInput, StartJobRunCommandInput } from '@aws-sdk/client-emr-serverless';
import { releaseByLabel, type Release } from '../config/releases.js';
import type { EuRegion, ServerlessProfile, WorkbenchConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { cloudJobCommand } from '../emr/job-command.js';
import { ACCOUNT_PLACEHOLDER, type ArtifactFiles, type PlannedUpload, type PromoteInput } from '../emr/plan.js';
import { assertEuRegion } from '../emr/region-guard.js';
import { artifactPrefixOf, artifactUploads, runInputUploads, weightsUpload } from '../emr/run-uploads.js';
import { ARTIFACT_TAG, CLONE_TAG, IDENTITY_TAG, OWNER_TAG, RUN_ID_TAG } from '../emr/tags.js';
import type { Engine, ThroughputProfile } from '../forecast/profile.js';
import { roleArn, roleNames, runBucketScope, serverlessRoles, type RoleSpec } from '../iam/policies.js';
import { joinKey, parseS3Uri, s3Uri as s3UriOf, toEmrUri } from '../storage/s3-uri.js';
import type { LocalFile } from '../storage/upload-plan.js';
import { executionTimeoutMinutes, forecastServerless, type ServerlessForecast } from './forecast.js';
import { assertServerlessWithinBudget, estimateServerlessCost, serverlessRate, type ServerlessEstimate } from './prices.js';
import { deriveServerlessSizing, type ServerlessSizing } from './sizing.js';

export const SERVERLESS_PLAN_FORMAT = 'fruits-workbench/serverless-plan@1';
/** Where the application id goes in the saved job-run request; the executor fills it in from CreateApplication. */
export const APPLICATION_ID_PLACEHOLDER = '{application-id}';
/** What the venv archive is unpacked as on every worker (spark.archives ...#environment). */
export const ENV_DIR = 'environment';
export const ENV_PYTHON = `./${ENV_DIR}/bin/python`;
/** The venv archive's name, beside the artifact it belongs to (artifacts/<sha>/environment.tar.gz). */
export const VENV_ARCHIVE_NAME = 'environment.tar.gz';

/** The venv archive (reproducible from the runtime lock, serverless/venv-archive.ts): uploaded beside the artifact. */
export interface VenvArchive {
  file: LocalFile;
  sha256: string;
  /** The Python it carries (must be the release's). */
  python: string;
}

export interface ServerlessPlanInputs {
  artifact: ArtifactFiles;
  input: PromoteInput;
  runId: string;
  weights: { spec: string; file?: LocalFile };
  /** Absent (a dry run does not build it): the plan names where it would go and the executor refuses to start. */
  venv?: VenvArchive;
  accountId?: string;
  owner?: { clone: string; identity?: string };
  createdAt: string;
  workerPeakRssMb?: number;
  throughput?: ThroughputProfile;
  engine?: Engine;
}

export interface ServerlessPlan {
  format: typeof SERVERLESS_PLAN_FORMAT;
  createdAt: string;
  runId: string;
  profileName: string;
  region: EuRegion;
  bucket: string;
  release: Pick<Release, 'label' | 'spark' | 'emrSpark' | 'python' | 'java'>;
  artifactSha256: string;
  inputUri: string;
  outputUri: string;
  logUri: string;
  weightsSpec: string;
  uploads: (PlannedUpload | (Omit<PlannedUpload, 'role'> & { role: 'venv' }))[];
  mirror: string[];
  venv: { uri: string; sha256: string | null; python: string };
  sizing: ServerlessSizing;
  /** The exact CreateApplication request. */
  createApplication: CreateApplicationCommandInput;
  /** The exact StartJobRun request, with APPLICATION_ID_PLACEHOLDER for the id CreateApplication returns. */
  startJobRun: StartJobRunCommandInput;
  executionTimeoutMinutes: number;
  idleTimeoutMinutes: number;
  keepApplication: boolean;
  budgetEur: number;
  estimate: ServerlessEstimate;
  forecast: ServerlessForecast | null;
  /** The execution role the run assumes, as `--create-roles` creates it (scoped to the bucket). */
  roles: RoleSpec[];
  warnings: string[];
}

export function serverlessProfileOf(cfg: WorkbenchConfig): ServerlessProfile {
  if (cfg.profile.kind !== 'serverless') {
    throw new ConfigError([{ key: 'profile', message: `the Serverless target needs a serverless profile; "${cfg.profileName}" is a ${cfg.profile.kind} profile` }], 'promote');
  }
  return cfg.profile;
}

export function serverlessBucketName(cfg: WorkbenchConfig, region: EuRegion, accountId: string | undefined): string {
  const profile = serverlessProfileOf(cfg);
  return profile.bucket || `${cfg.storage.bucket}-${accountId ?? ACCOUNT_PLACEHOLDER}-${region}`;
}

const s3Uri = (bucket: string, key: string) => s3UriOf({ bucket, key });

/** spark-submit parameters as one string (StartJobRun takes a string): --conf k=v, in a stable order. */
export function sparkSubmitParameters(conf: Record<string, string>): string {
  return Object.entries(conf).map(([k, v]) => `--conf ${k}=${v}`).join(' ');
}

export function buildServerlessPlan(cfg: WorkbenchConfig, inputs: ServerlessPlanInputs): ServerlessPlan {
  const profile = serverlessProfileOf(cfg);
  const region = assertEuRegion(profile.region);
  const release = releaseByLabel(profile.release);
  if (inputs.weights.spec === 'auto') throw new Error("buildServerlessPlan: resolve the 'auto' weights spec first");
  const sizing = deriveServerlessSizing({ executors: profile.executors, executorVcpu: profile.executorVcpu, diskGb: profile.diskGb, workerPeakRssMb: inputs.workerPeakRssMb });
  const rate = serverlessRate(region, sizing);

  // The forecast (input count and throughput profile known) prices and bounds the run; else plannedMinutes.
  const images = inputs.input.kind === 'local' ? inputs.input.files.length : undefined;
  let forecast: ServerlessForecast | null = null;
  let billedMinutes = profile.plannedMinutes;
  let timeout = profile.plannedMinutes;
  if (inputs.throughput && images !== undefined) {
    forecast = forecastServerless({ profile: inputs.throughput, images, engine: inputs.engine ?? cfg.job.engine, sizing, eurPerHour: rate.eurPerHour });
    billedMinutes = forecast.billedMinutes;
    timeout = executionTimeoutMinutes(billedMinutes, rate.eurPerHour, profile.budgetEur);
  }
  const estimate = estimateServerlessCost(rate, billedMinutes, timeout);
  assertServerlessWithinBudget(estimate, profile.budgetEur);

  const bucket = serverlessBucketName(cfg, region, inputs.accountId);
  const artifactPrefix = artifactPrefixOf(inputs.artifact);
  // Inputs: a local folder mirrored, or s3:// images used in place (the execution role reads them there).
  const input = runInputUploads(bucket, cfg.storage.inputsPrefix, inputs.input, 'EMR Serverless');
  const { inputUri, mirror } = input;
  const uploads: ServerlessPlan['uploads'] = [...input.uploads];
  const elsewhere: { bucket: string; prefix: string }[] = [];
  if (inputs.input.kind === 's3') {
    const loc = parseS3Uri(inputUri);
    if (loc.bucket !== bucket || !loc.key.startsWith(cfg.storage.inputsPrefix)) elsewhere.push({ bucket: loc.bucket, prefix: loc.key });
  }

  // The artifact, content-addressed like EC2's (its runtime wheels are not needed: the venv archive carries them).
  const artifact = artifactUploads(bucket, inputs.artifact, ['zip', 'entrypoint', 'lock'] as const);
  uploads.push(...artifact.uploads);
  const artifactUri = artifact.uris;

  const weights = weightsUpload(bucket, inputs.weights);
  if (weights.upload) uploads.push(weights.upload);
  const weightsSpec = weights.weightsSpec;
  if (!weights.upload && weightsSpec.startsWith('s3://')) {
    const loc = parseS3Uri(weightsSpec);
    if (loc.bucket !== bucket) elsewhere.push({ bucket: loc.bucket, prefix: loc.key });
  }

  const warnings: string[] = [];
  // Beside the artifact: the artifact's hash covers the runtime lock, and the archive is a function of that lock
  // (serverless/venv-archive.ts), so one key per artifact hash, uploaded once (the uploader skips equal bytes).
  const venvKey = joinKey(artifactPrefix, VENV_ARCHIVE_NAME);
  if (inputs.venv) {
    if (inputs.venv.python !== release.python) {
      throw new ConfigError([{ key: 'venv', message: `the venv archive carries Python ${inputs.venv.python}, but ${release.label} runs Python ${release.python}` }], 'promote');
    }
    uploads.push({ role: 'venv', source: inputs.venv.file.absPath, key: venvKey, bytes: inputs.venv.file.size, md5: inputs.venv.file.md5 });
  } else {
    warnings.push(`the venv archive (runtime lock -> ${venvKey}) is not in this plan (a dry run does not build it): this plan can be shown but not executed; \`npm run promote -- --profile ${cfg.profileName} --plan-out FILE\` (no --dry-run) builds it into the plan`);
  }
  const venvUri = s3Uri(bucket, venvKey);

  const outputUri = `${s3Uri(bucket, joinKey(cfg.storage.runsPrefix, inputs.runId))}/`;
  const logUri = `${s3Uri(bucket, 'logs')}/`;
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

  const tags: Record<string, string> = {
    ...Object.fromEntries(Object.entries(profile.tags).filter(([k]) => !k.startsWith(OWNER_TAG.Key))),
    [OWNER_TAG.Key]: OWNER_TAG.Value,
    [RUN_ID_TAG]: inputs.runId,
    [ARTIFACT_TAG]: inputs.artifact.sha256,
    ...(inputs.owner ? { [CLONE_TAG]: inputs.owner.clone } : {}),
    ...(inputs.owner?.identity ? { [IDENTITY_TAG]: inputs.owner.identity } : {}),
  };

  const createApplication: CreateApplicationCommandInput = {
    name: `fruits-workbench-${inputs.runId}`,
    releaseLabel: release.label,
    type: 'SPARK',
    architecture: profile.architecture,
    clientToken: inputs.runId,
    // Exactly the planned workers: the service can never scale the run (and its bill) beyond the plan.
    maximumCapacity: { cpu: `${sizing.capacity.vcpu} vCPU`, memory: `${sizing.capacity.memoryGb} GB`, disk: `${sizing.capacity.diskGb} GB` },
    autoStartConfiguration: { enabled: true },
    // Behind the workbench's own stop and delete: an application left behind stops itself soon.
    autoStopConfiguration: { enabled: true, idleTimeoutMinutes: profile.idleTimeoutMinutes },
    tags,
  };

  const scope = runBucketScope(bucket, { inputsPrefix: cfg.storage.inputsPrefix, runsPrefix: cfg.storage.runsPrefix, elsewhere });
  const roleName = profile.executionRole || roleNames(bucket).serverlessJob;
  const roles = profile.executionRole.startsWith('arn:') ? [] : serverlessRoles(scope, roleName);

  const conf: Record<string, string> = {
    ...sizing.sparkConf,
    // The job's modules, as --py-files does on EC2.
    'spark.submit.pyFiles': command.pyFiles,
    // The Python runtime: the venv archive, unpacked by Spark on every worker as ./environment.
    'spark.archives': `${venvUri}#${ENV_DIR}`,
    'spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON': ENV_PYTHON,
    'spark.emr-serverless.driverEnv.PYSPARK_PYTHON': ENV_PYTHON,
    'spark.executorEnv.PYSPARK_PYTHON': ENV_PYTHON,
  };
  const startJobRun: StartJobRunCommandInput = {
    applicationId: APPLICATION_ID_PLACEHOLDER,
    name: `fruits-job ${inputs.runId}`,
    clientToken: inputs.runId,
    executionRoleArn: roleArn(roleName, inputs.accountId ?? ACCOUNT_PLACEHOLDER),
    jobDriver: { sparkSubmit: { entryPoint: command.entryPoint, entryPointArguments: command.entryPointArguments, sparkSubmitParameters: sparkSubmitParameters(conf) } },
    configurationOverrides: { monitoringConfiguration: { s3MonitoringConfiguration: { logUri } } },
    executionTimeoutMinutes: timeout,
    tags,
  };

  return {
    format: SERVERLESS_PLAN_FORMAT,
    createdAt: inputs.createdAt,
    runId: inputs.runId,
    profileName: cfg.profileName,
    region,
    bucket,
    release: { label: release.label, spark: release.spark, emrSpark: release.emrSpark, python: release.python, java: release.java },
    artifactSha256: inputs.artifact.sha256,
    inputUri,
    outputUri,
    logUri,
    weightsSpec,
    uploads,
    mirror,
    venv: { uri: venvUri, sha256: inputs.venv?.sha256 ?? null, python: release.python },
    sizing,
    createApplication,
    startJobRun,
    executionTimeoutMinutes: timeout,
    idleTimeoutMinutes: profile.idleTimeoutMinutes,
    keepApplication: profile.keepApplication,
    budgetEur: profile.budgetEur,
    estimate,
    forecast,
    roles,
    warnings,
  };
}

/** The job run's arguments (after the entry point): byte-identical to the EC2 step's for the same run. */
export function jobRunArguments(plan: Pick<ServerlessPlan, 'startJobRun'>): string[] {
  return plan.startJobRun.jobDriver?.sparkSubmit?.entryPointArguments ?? [];
}

/**
 * One run of the job on the local stack, for a loaded config: set up -> start the stack -> upload the input ->
 * pack the artifact -> spark-submit -> download the outputs into runs/<run-id>/ -> summary lines.
 * `npm run local` calls it once; `npm run parity` (no operands) calls it for the local and the cluster profile.
 * Every resource goes on the given scope, so the stack and the job stop on success, on error and on Ctrl-C
 * (`keep` hands the stack over to `npm run stop`). A run that does not complete keeps its folder (driver.log)
 * with an incomplete.json marker and no manifest.json (run/run-folder.ts).
 */
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { AbortedError, ConfigError } from '../errors.js';
import { packArtifact } from '../job/artifact.js';
import { runJob } from '../job/runner.js';
import { buildSubmitPlan, formatSubmitPlan, type SubmitPlanInput } from '../job/submit-plan.js';
import { createJobProgressView } from '../run/job-progress-view.js';
import { createRunFolder, DRIVER_LOG, INCOMPLETE_MARKER, markIncomplete } from '../run/run-folder.js';
import { invalidRunIdReason, newRunId } from '../run/run-id.js';
import {
  classifyInput,
  displayPath,
  inputPrefix,
  isWeightsPath,
  outputPrefix,
  resolveUserPath,
  type RunInput,
} from '../run/locations.js';
import { createStatusLine } from '../run/status-line.js';
import { formatRunSummary } from '../run/summary.js';
import { ensureSampleData } from '../setup/sample-data.js';
import { ensureSetup } from '../setup/index.js';
import { resolveWeights } from '../setup/weights.js';
import { startStack } from '../stack/index.js';
import { downloadOutputs } from '../storage/download.js';
import { listObjects } from '../storage/listing.js';
import { scanLocalFolder } from '../storage/local-folder.js';
import { createS3Client } from '../storage/s3-client.js';
import { s3aUri, s3Uri } from '../storage/s3-uri.js';
import { describeUploadPlan, formatBytes, planUpload } from '../storage/upload-plan.js';
import { executeUploadPlan } from '../storage/uploader.js';
import type { CommandContext } from '../commands/types.js';
import type { WorkbenchConfig } from '../config/schema.js';
import type { JobManifest } from '../job/manifest.js';

/** The input the project generates itself (schema default of job.input). */
export const SYNTHETIC_SAMPLE = 'sample-data/fruits-synthetic';

export interface LocalRunOptions {
  keep: boolean;
  runId?: string;
  dryRun: boolean;
  /** Which setting named the input, for error messages ('--input' or 'job.input'). */
  inputSource: string;
  /** Where the user typed the command (relative paths in messages). */
  cwd: string;
}

export interface LocalRunResult {
  runDir: string;
  outputUri: string;
  manifest: JobManifest;
  summary: string[];
}

/** Measures the workbench's own steps for the summary. */
function stepTimer() {
  const steps: [string, number][] = [];
  return {
    steps,
    async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
      const t0 = performance.now();
      try {
        return await fn();
      } finally {
        steps.push([name, (performance.now() - t0) / 1000]);
      }
    },
  };
}

export function checkLocalInput(input: RunInput & { kind: 'local' }, source: string): void {
  if (!existsSync(input.dir) || !statSync(input.dir).isDirectory()) {
    throw new ConfigError([
      {
        key: source,
        message: `input folder not found: ${input.dir}`,
        fix: 'give a folder of images (<Class>/<image>.jpg), e.g. --input ../shared/datasets/fruits-360-sample, or an s3:// URI in the stack bucket',
      },
    ]);
  }
}

/** Returns undefined for a dry run (the plans are printed instead). */
export async function executeLocalRun(cfg: WorkbenchConfig, ctx: CommandContext, opts: LocalRunOptions): Promise<LocalRunResult | undefined> {
  const { out, signal } = ctx;
  const cwd = opts.cwd;
  const inputSource = opts.inputSource;
  if (cfg.profile.kind === 'emr') {
    throw new ConfigError(
      [{ key: 'profile', message: `"${cfg.profileName}" is an EMR profile; npm run local runs on the local stack` }],
    );
  }
  const profile = cfg.profile;
  const weightsSpec = isWeightsPath(cfg.job.weights) ? path.resolve(cfg.root, cfg.job.weights) : cfg.job.weights;
  if (isWeightsPath(weightsSpec) && !existsSync(weightsSpec)) {
    throw new ConfigError([{ key: 'job.weights', message: `weights file not found: ${weightsSpec}`, fix: 'give an existing Keras weights file, imagenet, or random:SEED' }]);
  }
  const runId = opts.runId ?? newRunId();
  const badId = invalidRunIdReason(runId);
  if (badId) throw new ConfigError([{ key: '--run-id', message: `"${runId}": ${badId}` }]);

  const input = classifyInput(cfg.job.input, cfg.root);
  const isSynthetic = input.kind === 'local' && input.dir === path.resolve(cfg.root, SYNTHETIC_SAMPLE);
  // Bad input fails before the (possibly long) setup; the synthetic sample is generated by the setup's python.
  if (input.kind === 'local' && !isSynthetic) checkLocalInput(input, inputSource);

  const timer = stepTimer();
  const tools = await timer.time('setup', () => ensureSetup(cfg, out, signal, ctx.env));
  if (input.kind === 'local' && isSynthetic) {
    await ensureSampleData(cfg, tools, out, signal);
    checkLocalInput(input, inputSource);
  }
  const weights = await resolveWeights({ ...cfg, job: { ...cfg.job, weights: weightsSpec } }, tools, out, signal, ctx.env);
  out.info(`weights: ${weights.description}`);

  const artifactDir = await mkdtemp(path.join(tmpdir(), 'fruits-artifact-'));
  ctx.stack.defer(() => rm(artifactDir, { recursive: true, force: true }), 'artifact folder');
  const artifact = await packArtifact(cfg.root, artifactDir);
  out.info(`job artifact: sha256 ${artifact.sha256.slice(0, 12)}…`);

  const outPrefix = outputPrefix(cfg.storage.runsPrefix, runId);
  const planInput = (s3: SubmitPlanInput['s3'], master: string, bucket: string): SubmitPlanInput => ({
    tools,
    master,
    profile,
    s3,
    artifact,
    job: cfg.job,
    input: input.kind === 's3' ? s3aUri(input.location) : s3aUri({ bucket, key: inputPrefix(cfg.storage.inputsPrefix, input.name) }),
    output: s3aUri({ bucket, key: outPrefix }),
    weights: weights.spec,
    runId,
  });

  if (opts.dryRun) {
    const placeholder = { endpoint: 'http://127.0.0.1:<minio port>', region: profile.region, accessKeyId: '<generated>', secretAccessKey: '<generated>' };
    const master = profile.kind === 'local' ? profile.spark.master : 'spark://127.0.0.1:<master port>';
    if (input.kind === 'local') {
      const files = await scanLocalFolder(input.dir, signal);
      const plan = planUpload({ files, remote: [], bucket: cfg.storage.bucket, prefix: inputPrefix(cfg.storage.inputsPrefix, input.name) });
      out.result(`upload: ${input.dir} -> s3://${plan.bucket}/${plan.prefix}: ${plan.toUpload.length} images (${formatBytes(plan.bytesToUpload)}) at most; unchanged ones are skipped at run time`);
    }
    out.result(`spark-submit (profile ${cfg.profileName}; endpoint and ports are chosen when the stack starts):`);
    out.result(formatSubmitPlan(buildSubmitPlan(planInput(placeholder, master, cfg.storage.bucket))));
    return undefined;
  }

  const stack = await timer.time('stack', () => startStack(cfg, tools, ctx, { keep: Boolean(opts.keep), out, env: ctx.env }));
  const s3 = createS3Client(stack.s3);
  ctx.stack.defer(() => s3.destroy(), 's3 client');
  const bucket = stack.s3.bucket;

  if (input.kind === 's3') {
    if (input.location.bucket !== bucket) {
      throw new ConfigError([{ key: 'job.input', message: `${cfg.job.input} is not in the stack's bucket "${bucket}"`, fix: `use s3://${bucket}/<prefix>/ or a local folder` }]);
    }
  } else {
    await timer.time('upload', () => uploadInput(s3, input, cfg.storage.inputsPrefix, bucket, inputSource, ctx, cwd));
  }

  // The run folder exists from the moment the job starts: driver.log is in it.
  const folder = await createRunFolder(cfg.runsDir, runId);
  const runDirShown = displayPath(folder.dir, cwd);
  if (folder.replaced) out.warn(`replaced the earlier run folder ${runDirShown} (same run id)`);
  try {
    const plan = buildSubmitPlan(planInput(stack.s3, stack.sparkMaster, bucket));
    const logFile = path.join(folder.dir, DRIVER_LOG);
    out.info(`running the job on ${stack.sparkMaster} (profile ${cfg.profileName}, ${stack.backend} backend); full log: ${displayPath(logFile, cwd)}`);
    const launch = stack.driver.launch(plan, {
      runId,
      files: [artifactDir, ...(isWeightsPath(weights.spec) ? [path.dirname(weights.spec)] : [])],
      env: ctx.env,
      onCleanup: (fn, label) => ctx.stack.defer(fn, label),
    });
    const status = createStatusLine(process.stderr);
    const job = await timer.time('job', () =>
      runJob(launch.plan, {
        logFile,
        logLabel: displayPath(logFile, cwd),
        signal,
        parentEnv: launch.parentEnv,
        onEvent: createJobProgressView(status, out.isTTY),
      }).finally(() => status.clear()),
    );

    const outputs = { bucket, key: outPrefix };
    await timer.time('download', () => downloadOutputs(s3, outputs, folder.dir, signal));

    const summary = formatRunSummary(job.manifest, {
      profile: cfg.profileName,
      outputUri: s3Uri(outputs),
      endpoint: stack.s3.endpoint,
      stackKept: Boolean(opts.keep),
      runDir: runDirShown,
      workbenchTimings: timer.steps,
      weightsDescription: weights.description,
    });
    // With --keep, startStack has already printed the endpoints and how to stop the stack.
    return { runDir: folder.dir, outputUri: s3Uri(outputs), manifest: job.manifest, summary };
  } catch (err) {
    const interrupted = signal.aborted;
    const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    await markIncomplete(folder.dir, interrupted ? 'interrupted' : 'failed', interrupted ? 'interrupted (Ctrl-C)' : reason);
    out.info(`run folder kept for diagnosis, marked incomplete: ${runDirShown}/${INCOMPLETE_MARKER}`);
    throw interrupted ? new AbortedError() : err;
  }
}

/** Mirrors a local input folder to `<inputsPrefix>/<folder name>/`, skipping unchanged images. */
async function uploadInput(
  s3: S3Client,
  input: RunInput & { kind: 'local' },
  inputsPrefix: string,
  bucket: string,
  source: string,
  ctx: CommandContext,
  cwd: string,
): Promise<void> {
  const { out, signal } = ctx;
  const prefix = inputPrefix(inputsPrefix, input.name);
  const [files, remote] = await Promise.all([scanLocalFolder(input.dir, signal), listObjects(s3, bucket, prefix, signal)]);
  const plan = planUpload({ files, remote, bucket, prefix });
  if (plan.toUpload.length + plan.unchanged.length === 0) {
    throw new ConfigError([{ key: source, message: `no jpg/jpeg/png images under ${input.dir}`, fix: 'give a folder of images laid out as <Class>/<image>.jpg' }]);
  }
  out.info(`upload ${displayPath(input.dir, cwd)} -> s3://${bucket}/${prefix}: ${describeUploadPlan(plan)}`);
  const status = createStatusLine(process.stderr);
  let nextPlainLine = 0.25;
  try {
    const result = await executeUploadPlan(s3, plan, {
      signal,
      onProgress: (p) => {
        status.update(`  uploading ${p.done}/${p.total} (${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)})`);
        // Without a TTY: a plain line at each quarter, so CI logs show it is moving.
        if (!out.isTTY && p.done < p.total && p.done / p.total >= nextPlainLine) {
          out.info(`  uploaded ${p.done}/${p.total}`);
          nextPlainLine += 0.25;
        }
      },
    });
    status.clear();
    out.info(`  ${result.uploaded} uploaded, ${result.unchanged} unchanged${result.deleted ? `, ${result.deleted} stale removed` : ''}`);
  } finally {
    status.clear();
  }
}


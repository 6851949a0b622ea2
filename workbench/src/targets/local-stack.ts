/**
 * The local-stack target: one run of the job on the local stack (native processes or Docker containers, the
 * backend's choice), for a loaded config.
 *
 *   plan:    set up (cached) -> resolve the weights -> pack the artifact -> the upload request and the
 *            spark-submit plan (endpoints as placeholders until the stack is up)
 *   execute: start the stack -> mirror the input folder to the bucket (job.inputFormat packed: pack it into
 *            Parquet files on the host first and mirror those, targets/packed-input.ts) -> spark-submit (the
 *            backend's driver launcher) -> download the outputs into runs/<run-id>/ -> summary lines
 *
 * `npm run local` runs it once; `npm run parity` (no operands) runs it for the local and the cluster profile.
 * Every resource goes on the context's scope, so the stack and the job stop on success, on error and on Ctrl-C
 * (`keep` hands the stack over to `npm run stop`). A run that does not complete keeps its folder (driver.log)
 * with an incomplete.json marker and no manifest.json (run/run-folder.ts).
 */
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunContext } from '../context.js';
import type { ClusterProfile, LocalProfile, WorkbenchConfig } from '../config/schema.js';
import type { InputSpec } from '../config/specs.js';
import { AbortedError, ConfigError } from '../errors.js';
import { packArtifact, type Artifact } from '../job/artifact.js';
import { runJob } from '../job/runner.js';
import { buildSubmitPlan, formatSubmitPlan, type SubmitPlanInput } from '../job/submit-plan.js';
import { createJobProgressView } from '../run/job-progress-view.js';
import { displayPath, inputPrefix, outputPrefix } from '../run/locations.js';
import { createRunFolder, DRIVER_LOG, INCOMPLETE_MARKER, markIncomplete } from '../run/run-folder.js';
import { runRecord, stackRunTarget, writeRunRecord } from '../run/run-record.js';
import { invalidRunIdReason, newRunId } from '../run/run-id.js';
import { formatRunSummary } from '../run/summary.js';
import { ensureSetup, type ToolPaths } from '../setup/index.js';
import { ensureSampleData } from '../setup/sample-data.js';
import { resolveWeights, type ResolvedWeights } from '../setup/weights.js';
import { downloadOutputs } from '../storage/download.js';
import { scanLocalFolder } from '../storage/local-folder.js';
import { createS3Client } from '../storage/s3-client.js';
import { s3aUri, s3Uri } from '../storage/s3-uri.js';
import { folderUpload, formatBytes, type UploadRequest } from '../storage/upload-plan.js';
import { syncUploads } from '../storage/uploader.js';
import { formatHostConversion, hostConversionPlan } from '../stack/docker/host-conversion.js';
import { describePackedInput, packAndUpload, planPackedInput, type PackedInputPlan } from './packed-input.js';
import { writeRunReport } from './run-report.js';
import { startStackFor } from './stack-start.js';
import type { ExecutionTarget, RunOutcome } from './target.js';

/** The input the project generates itself (schema default of job.input). */
export const SYNTHETIC_SAMPLE = 'sample-data/fruits-synthetic';

export interface LocalStackOptions {
  keep: boolean;
  runId?: string;
  /** Which setting named the input, for error messages ('--input' or 'job.input'). */
  inputSource: string;
  /** Where the user typed the command (relative paths in messages). */
  cwd: string;
}

export interface LocalStackPlan {
  runId: string;
  profileName: string;
  profile: LocalProfile | ClusterProfile;
  tools: ToolPaths;
  weights: ResolvedWeights;
  artifact: Artifact;
  input: InputSpec;
  /** For a local input folder read as images: the mirror of its images under the bucket's inputs prefix. */
  upload?: { request: UploadRequest; ignored: string[]; bytes: number };
  /** For a local input folder with job.inputFormat packed: its shards, packed and mirrored at run time. */
  packed?: PackedInputPlan;
  /** `<runsPrefix>/<run id>/` in the stack's bucket. */
  outputKey: string;
  /** Seconds spent by the set-up, for the summary. */
  setupSeconds: number;
}

function checkLocalInput(input: InputSpec & { kind: 'local' }, source: string): void {
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

/** Measures the workbench's own steps for the summary. */
function stepTimer(initial: [string, number][] = []) {
  const steps: [string, number][] = [...initial];
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

export function localStackTarget(cfg: WorkbenchConfig, ctx: RunContext, opts: LocalStackOptions): ExecutionTarget<LocalStackPlan> {
  const { out, signal } = ctx;
  if (cfg.profile.kind === 'emr' || cfg.profile.kind === 'serverless') {
    throw new ConfigError([{ key: 'profile', message: `"${cfg.profileName}" is an EMR profile; npm run local runs on the local stack` }]);
  }
  const profile = cfg.profile;

  const submitInput = (plan: LocalStackPlan, s3: SubmitPlanInput['s3'], master: string, bucket: string, modelCache?: string): SubmitPlanInput => ({
    tools: plan.tools,
    master,
    profile,
    s3,
    artifact: plan.artifact,
    job: cfg.job,
    input: s3aUri(plan.input.kind === 's3' ? plan.input.location : { bucket, key: plan.packed?.prefix ?? inputPrefix(cfg.storage.inputsPrefix, plan.input.name) }),
    output: s3aUri({ bucket, key: plan.outputKey }),
    weights: plan.weights.spec,
    runId: plan.runId,
    modelCache,
    images: plan.upload?.request.items.length ?? plan.packed?.pack.images,
  });
  // The driver of the native backend runs on this machine: its converted-model cache lives beside the others.
  // One folder per release: a model converted under one release's libraries is never served to another's.
  const nativeModelCache = path.join(cfg.cacheDir, 'converted-models', cfg.release.label);

  return {
    name: 'local-stack',

    async plan() {
      const runId = opts.runId ?? newRunId();
      const badId = invalidRunIdReason(runId);
      if (badId) throw new ConfigError([{ key: '--run-id', message: `"${runId}": ${badId}` }]);
      const input = cfg.job.input;
      const weightsSpec = cfg.job.weights;
      if (weightsSpec.kind === 'file' && !existsSync(weightsSpec.path)) {
        throw new ConfigError([{ key: 'job.weights', message: `weights file not found: ${weightsSpec.path}`, fix: 'give an existing Keras weights file, imagenet, or random:SEED' }]);
      }
      const isSynthetic = input.kind === 'local' && input.dir === path.resolve(cfg.root, SYNTHETIC_SAMPLE);
      // Bad input fails before the (possibly long) setup; the synthetic sample is generated by the setup's python.
      if (input.kind === 'local' && !isSynthetic) checkLocalInput(input, opts.inputSource);

      const t0 = performance.now();
      const tools = await ensureSetup(cfg, out, signal, ctx.env);
      const setupSeconds = (performance.now() - t0) / 1000;
      if (input.kind === 'local' && isSynthetic) {
        await ensureSampleData(cfg, tools, out, signal);
        checkLocalInput(input, opts.inputSource);
      }
      const weights = await resolveWeights(cfg, tools, out, signal, ctx.env);
      out.info(`weights: ${weights.description}`);

      const artifactDir = await mkdtemp(path.join(tmpdir(), 'fruits-artifact-'));
      ctx.stack.defer(() => rm(artifactDir, { recursive: true, force: true }), 'artifact folder');
      const artifact = await packArtifact(cfg.root, artifactDir, cfg.release);
      out.info(`job artifact: sha256 ${artifact.sha256.slice(0, 12)}…`);

      let upload: LocalStackPlan['upload'];
      let packed: LocalStackPlan['packed'];
      if (input.kind === 'local') {
        const files = await scanLocalFolder(input.dir, signal);
        const noImages = () => new ConfigError([{ key: opts.inputSource, message: `no jpg/jpeg/png images under ${input.dir}`, fix: 'give a folder of images laid out as <Class>/<image>.jpg' }]);
        if (cfg.job.inputFormat === 'packed') {
          packed = planPackedInput(cfg, files, input.name);
          if (packed.pack.images === 0) throw noImages();
        } else {
          const { request, ignored } = folderUpload(files, cfg.storage.bucket, inputPrefix(cfg.storage.inputsPrefix, input.name));
          if (request.items.length === 0) throw noImages();
          upload = { request, ignored, bytes: request.items.reduce((n, i) => n + i.file.size, 0) };
        }
      }
      return { runId, profileName: cfg.profileName, profile, tools, weights, artifact, input, upload, packed, outputKey: outputPrefix(cfg.storage.runsPrefix, runId), setupSeconds };
    },

    describe(plan) {
      const lines: string[] = [];
      const placeholder = { endpoint: 'http://127.0.0.1:<minio port>', region: profile.region, accessKeyId: '<generated>', secretAccessKey: '<generated>' };
      const master = profile.kind === 'local' ? profile.spark.master : 'spark://127.0.0.1:<master port>';
      if (plan.input.kind === 'local' && plan.upload) {
        const { request } = plan.upload;
        lines.push(
          `upload: ${plan.input.dir} -> s3://${request.bucket}/${request.mirror[0]}: ${request.items.length} images (${formatBytes(plan.upload.bytes)}) at most; unchanged ones are skipped at run time`,
        );
      }
      if (plan.input.kind === 'local' && plan.packed) lines.push(...describePackedInput(plan.packed, plan.input.dir, cfg.storage.bucket));
      lines.push(`spark-submit (profile ${plan.profileName}; endpoint and ports are chosen when the stack starts):`);
      // The cache argument depends on the backend, known here only when it is not 'auto'.
      const modelCache = cfg.stack.backend === 'native' ? nativeModelCache : undefined;
      lines.push(formatSubmitPlan(buildSubmitPlan(submitInput(plan, placeholder, master, cfg.storage.bucket, modelCache))));
      if (cfg.stack.backend === 'docker') {
        // The image holds no model converter: the host converts first when the cache lacks the entry.
        const conversion = hostConversionPlan(buildSubmitPlan(submitInput(plan, placeholder, master, cfg.storage.bucket)), nativeModelCache);
        lines.push('before it, on the host (converts only when the cache lacks the entry):', `  ${formatHostConversion(conversion)}`);
      }
      return lines;
    },

    async execute(plan): Promise<RunOutcome> {
      const timer = stepTimer([['setup', plan.setupSeconds]]);
      const stack = await timer.time('stack', () => startStackFor(cfg, plan.tools, ctx, { keep: opts.keep }));
      const s3 = createS3Client(stack.s3);
      ctx.stack.defer(() => s3.destroy(), 's3 client');
      const bucket = stack.s3.bucket;

      if (plan.input.kind === 's3') {
        if (plan.input.location.bucket !== bucket) {
          throw new ConfigError([{ key: opts.inputSource, message: `${plan.input.raw} is not in the stack's bucket "${bucket}"`, fix: `use s3://${bucket}/<prefix>/ or a local folder` }]);
        }
      } else if (plan.upload) {
        const { request, ignored } = plan.upload;
        const label = `upload ${displayPath(plan.input.dir, opts.cwd)} -> s3://${bucket}/${request.mirror[0]}`;
        await timer.time('upload', () => syncUploads(s3, { ...request, bucket }, { out, signal, label, ignored, archives: true }));
      } else if (plan.packed) {
        await packAndUpload(cfg, ctx, plan.packed, { python: plan.tools.python, s3, bucket, time: (step, fn) => timer.time(step, fn) });
      }

      // The run folder exists from the moment the job starts: driver.log is in it.
      const folder = await createRunFolder(cfg.runsDir, plan.runId);
      await writeRunRecord(folder.dir, runRecord(plan.runId, stackRunTarget(stack.backend, cfg.profile.kind), cfg.profileName));
      const runDirShown = displayPath(folder.dir, opts.cwd);
      if (folder.replaced) out.warn(`replaced the earlier run folder ${runDirShown} (same run id)`);
      try {
        const submit = buildSubmitPlan(submitInput(plan, stack.s3, stack.sparkMaster, bucket, stack.backend === 'native' ? nativeModelCache : undefined));
        const logFile = path.join(folder.dir, DRIVER_LOG);
        // What the backend's driver needs first (Docker: the model converted on the host, stack/docker/host-conversion.ts).
        if (stack.driver.prepare) await timer.time('model', () => stack.driver.prepare!(submit, { signal, env: ctx.env, info: (l) => out.info(l) }));
        out.info(`running the job on ${stack.sparkMaster} (profile ${cfg.profileName}, ${stack.backend} backend); full log: ${displayPath(logFile, opts.cwd)}`);
        const launch = stack.driver.launch(submit, {
          runId: plan.runId,
          files: [plan.artifact.dir, ...(plan.weights.weights.kind === 'file' ? [path.dirname(plan.weights.weights.path)] : [])],
          env: ctx.env,
          onCleanup: (fn, label) => ctx.stack.defer(fn, label),
        });
        const task = out.task('  job');
        const job = await timer.time('job', () =>
          runJob(launch.plan, {
            logFile,
            logLabel: displayPath(logFile, opts.cwd),
            signal,
            parentEnv: launch.parentEnv,
            onEvent: createJobProgressView(out, task),
            warn: (line) => out.warn(line),
          }).finally(() => task.end()),
        );

        const outputs = { bucket, key: plan.outputKey };
        await timer.time('download', () => downloadOutputs(s3, outputs, folder.dir, signal));
        const report = await writeRunReport(folder.dir, cfg, ctx);
        const summary = formatRunSummary(job.manifest, {
          profile: cfg.profileName,
          outputUri: s3Uri(outputs),
          endpoint: stack.s3.endpoint,
          stackKept: opts.keep,
          runDir: runDirShown,
          workbenchTimings: timer.steps,
          weightsDescription: plan.weights.description,
        });
        if (report) summary.push(`  report     ${displayPath(report, opts.cwd)} (open it in a browser; works offline)`);
        // With --keep, the stack has already printed the endpoints and how to stop the stack.
        return { runId: plan.runId, runDir: folder.dir, outputUri: s3Uri(outputs), manifest: job.manifest, summary };
      } catch (err) {
        const interrupted = signal.aborted;
        const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
        await markIncomplete(folder.dir, interrupted ? 'interrupted' : 'failed', interrupted ? 'interrupted (Ctrl-C)' : reason);
        out.info(`run folder kept for diagnosis, marked incomplete: ${runDirShown}/${INCOMPLETE_MARKER}`);
        throw interrupted ? new AbortedError() : err;
      }
    },
  };
}

/** Plans and executes one local-stack run (npm run local, parity's default runs). */
export async function runOnLocalStack(cfg: WorkbenchConfig, ctx: RunContext, opts: LocalStackOptions): Promise<RunOutcome> {
  const target = localStackTarget(cfg, ctx, opts);
  return target.execute(await target.plan());
}

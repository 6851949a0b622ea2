/**
 * What the walkthrough notebook runs against (`npm run notebook`): set-up, the local stack, a small per-class
 * subset of the input in the stack's bucket (through the one uploader: planned, retried, verified by MD5), and
 * the kernel's context: the stack's endpoint and generated credentials in a JSON file (mode 0600, in a private
 * temp folder removed at the end) named by FRUITS_NOTEBOOK_CONTEXT, so nothing secret is on a command line, in
 * the notebook or in its outputs. The stack and the folder go on the command's scope.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunContext } from '../context.js';
import type { WorkbenchConfig } from '../config/schema.js';
import { JobError } from '../errors.js';
import { newRunId } from '../run/run-id.js';
import { ensureSetup, type ToolPaths } from '../setup/index.js';
import { ensureSampleData } from '../setup/sample-data.js';
import { sharedSampleImagesDir } from '../setup/shared.js';
import { resolveWeights } from '../setup/weights.js';
import { scanLocalFolder } from '../storage/local-folder.js';
import { createS3Client } from '../storage/s3-client.js';
import { s3aUri } from '../storage/s3-uri.js';
import { isImageFile, type LocalFile, type UploadRequest } from '../storage/upload-plan.js';
import { syncUploads } from '../storage/uploader.js';
import { refusePackedInput } from './input-format.js';
import { startStackFor } from './stack-start.js';

/** The first `perClass` images of every class folder (sorted), so the check is quick and the same every time. */
export function perClassSubset(files: LocalFile[], perClass: number): LocalFile[] {
  const byClass = new Map<string, LocalFile[]>();
  for (const f of [...files].sort((a, b) => a.relPath.localeCompare(b.relPath))) {
    const label = f.relPath.includes('/') ? f.relPath.slice(0, f.relPath.lastIndexOf('/')) : '';
    const list = byClass.get(label) ?? [];
    if (list.length < perClass) list.push(f);
    byClass.set(label, list);
  }
  return [...byClass.values()].flat();
}

export interface NotebookSession {
  /** The run id naming the notebook's outputs (notebooks/<id>/ in the bucket, the executed copy). */
  id: string;
  tools: ToolPaths;
  /** The kernel's environment: the context file, the pipeline on PYTHONPATH, Java and the venv's python. */
  env: Record<string, string>;
}

/** Everything the notebook's kernel needs, started and uploaded; stopped with the command's scope. */
export async function prepareNotebook(cfg: WorkbenchConfig, ctx: RunContext, o: { input?: string; perClass: number }): Promise<NotebookSession> {
  const { out, signal } = ctx;
  refusePackedInput(cfg, 'notebook', 'the notebook');
  const tools = await ensureSetup(cfg, out, signal, ctx.env);

  let input = o.input ?? sharedSampleImagesDir(cfg.root, ctx.env);
  if (!o.input && !existsSync(input)) input = await ensureSampleData(cfg, tools, out, signal);
  if (!existsSync(input) || readdirSync(input).length === 0) throw new JobError(`no images in ${input}`, 'give a folder of <Class>/<image>.jpg with --input');
  const weights = await resolveWeights(cfg, tools, out, signal, ctx.env);
  out.info(`weights: ${weights.description}`);

  const stack = await startStackFor(cfg, tools, ctx, { keep: false });
  const s3 = createS3Client(stack.s3);
  ctx.stack.defer(() => s3.destroy(), 's3 client');

  const all = (await scanLocalFolder(input, signal)).filter((f) => isImageFile(f.relPath));
  const files = o.perClass > 0 ? perClassSubset(all, o.perClass) : all;
  const prefix = `${cfg.storage.inputsPrefix}/notebook-${path.basename(input)}-${o.perClass > 0 ? o.perClass : 'all'}/`;
  const request: UploadRequest = { bucket: stack.s3.bucket, items: files.map((file) => ({ file, key: prefix + file.relPath })), mirror: [prefix] };
  await syncUploads(s3, request, { out, signal, label: `notebook input: ${files.length} images of ${input} -> s3://${stack.s3.bucket}/${prefix}`, archives: true });

  const id = newRunId();
  const privateDir = await mkdtemp(path.join(tmpdir(), 'fruits-notebook-'));
  ctx.stack.defer(() => rm(privateDir, { recursive: true, force: true }), 'notebook context');
  const contextFile = path.join(privateDir, 'context.json');
  const context = {
    s3: stack.s3,
    master: 'local[2]',
    driver_memory: cfg.profile.kind === 'emr' || cfg.profile.kind === 'serverless' ? '4g' : cfg.profile.spark.driverMemory,
    s3a_jars: tools.s3aJars,
    s3a_credentials_provider: tools.s3aCredentialsProvider,
    input_uri: s3aUri({ bucket: stack.s3.bucket, key: prefix }),
    output_uri: s3aUri({ bucket: stack.s3.bucket, key: `notebooks/${id}/` }),
    weights: weights.spec,
    image_size: cfg.job.imageSize,
  };
  await writeFile(contextFile, JSON.stringify(context), { mode: 0o600 });

  const env: Record<string, string> = {
    FRUITS_NOTEBOOK_CONTEXT: contextFile,
    PYTHONPATH: path.join(cfg.root, 'pipeline', 'src'),
    JAVA_HOME: tools.javaHome,
    PYSPARK_PYTHON: tools.python,
    PYSPARK_DRIVER_PYTHON: tools.python,
    SPARK_LOCAL_IP: '127.0.0.1',
    // TensorFlow's start-up banners, once per Python worker, would bury the cells' own output.
    TF_CPP_MIN_LOG_LEVEL: '2',
  };
  return { id, tools, env };
}

/**
 * `npm run notebook -- [--check] [--input DIR] [--per-class N]`: the walkthrough notebook
 * (notebooks/fruits-pipeline.ipynb) against the local stack. Starts the stack (MinIO + Spark local[*] in the
 * kernel), uploads a small per-class subset of the input under its own prefix, and hands the kernel the stack's
 * endpoint and generated credentials in a JSON file (mode 0600, in a private temp folder removed at the end)
 * named by FRUITS_NOTEBOOK_CONTEXT: nothing secret on a command line, in the notebook or in its outputs.
 *
 * --check executes it headless with nbclient (the project venv's kernel) and fails on any cell error; the
 * executed copy, with its outputs, is kept in runs/notebooks/ (git keeps the notebook without outputs).
 * Without --check it opens Jupyter Lab on 127.0.0.1 with the stack up, until Ctrl-C (`make notebook`).
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { execa } from 'execa';
import { JobError, PrerequisiteError } from '../errors.js';
import { newRunId } from '../run/run-id.js';
import { ensureSetup } from '../setup/index.js';
import { ensureSampleData } from '../setup/sample-data.js';
import { sharedSampleImagesDir } from '../setup/shared.js';
import { resolveWeights } from '../setup/weights.js';
import { startStack } from '../stack/index.js';
import { listObjects } from '../storage/listing.js';
import { scanLocalFolder } from '../storage/local-folder.js';
import { createS3Client } from '../storage/s3-client.js';
import { s3aUri } from '../storage/s3-uri.js';
import { describeUploadPlan, planUpload, type LocalFile } from '../storage/upload-plan.js';
import { executeUploadPlan } from '../storage/uploader.js';
import type { CommandContext, CommandSpec } from './types.js';

export const NOTEBOOK = path.join('notebooks', 'fruits-pipeline.ipynb');

/** nbclient in the venv: runs every cell with the venv's ipykernel, writes the executed copy, exit 1 on a cell error. */
const CHECK_SCRIPT = `
import sys, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
src, dst, cwd = sys.argv[1:4]
nb = nbformat.read(src, as_version=4)
client = NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": cwd}})
try:
    client.execute()
    ok = True
except CellExecutionError as e:
    print(str(e)[-4000:], file=sys.stderr)
    ok = False
finally:
    nbformat.write(nb, dst)
errors = [c for c in nb.cells if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.get("outputs", []))]
print(f"notebook: {sum(c.cell_type == 'code' for c in nb.cells)} code cells, {len(errors)} with an error; executed copy {dst}")
sys.exit(0 if ok and not errors else 1)
`;

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

interface Options {
  check?: boolean;
  input?: string;
  perClass?: string;
  weights?: string;
  backend?: string;
}

export const command: CommandSpec = {
  name: 'notebook',
  description: 'the step-by-step notebook against the local stack: --check runs it headless (nbclient), else Jupyter Lab',
  configure(cmd: Command) {
    cmd
      .option('--check', 'execute the notebook headless with nbclient and fail on any cell error')
      .option('--input <dir>', 'folder of images (default: the shared Fruits-360 sample when present, else the generated sample)')
      .option('--per-class <n>', 'images per class uploaded for the notebook (0 = all)', '8')
      .option('--weights <spec>', 'imagenet | PATH | random:SEED (default: job.weights, auto)')
      // The kernel (driver and local[2] executors) is a host process: only MinIO comes from the stack, and the
      // native MinIO is what set-up always provides; the Docker backend would build its Spark image for nothing.
      .option('--backend <backend>', 'stack backend for MinIO: native | docker | auto', 'native');
  },
  async run({ options }, ctx: CommandContext) {
    const o = options as Options;
    const cwd = ctx.env.INIT_CWD ?? process.cwd();
    // A weights path is relative to where the user typed the command; keywords and URIs stay as they are.
    const weightsFlag = o.weights !== undefined && !/^(auto|imagenet|random:)/.test(o.weights) && !o.weights.includes('://') ? path.resolve(cwd, o.weights) : o.weights;
    const cfg = ctx.loadConfig({ profile: (options.profile as string | undefined) ?? 'local', weights: weightsFlag, backend: o.backend ?? 'native' });
    const { out, signal } = ctx;
    const tools = await ensureSetup(cfg, out, signal, ctx.env);

    let input = o.input ? path.resolve(cwd, o.input) : sharedSampleImagesDir(cfg.root, ctx.env);
    if (!o.input && !existsSync(input)) {
      await ensureSampleData(cfg, tools, out, signal);
      input = path.join(cfg.root, 'sample-data', 'fruits-synthetic');
    }
    if (!existsSync(input) || readdirSync(input).length === 0) throw new JobError(`no images in ${input}`, 'give a folder of <Class>/<image>.jpg with --input');
    const weights = await resolveWeights(cfg, tools, out, signal, ctx.env);
    out.info(`weights: ${weights.description}`);

    const stack = await startStack(cfg, tools, ctx, { keep: false, out, env: ctx.env });
    const s3 = createS3Client(stack.s3);
    ctx.stack.defer(() => s3.destroy(), 's3 client');

    const perClass = Number(o.perClass ?? 8);
    const all = (await scanLocalFolder(input, signal)).filter((f) => /\.(jpe?g|png)$/i.test(f.relPath));
    const files = perClass > 0 ? perClassSubset(all, perClass) : all;
    const prefix = `${cfg.storage.inputsPrefix}/notebook-${path.basename(input)}-${perClass > 0 ? perClass : 'all'}/`;
    const plan = planUpload({ files, remote: await listObjects(s3, stack.s3.bucket, prefix, signal), bucket: stack.s3.bucket, prefix });
    out.info(`notebook input: ${files.length} images of ${input} -> s3://${stack.s3.bucket}/${prefix}: ${describeUploadPlan(plan)}`);
    await executeUploadPlan(s3, plan, { signal });

    const id = newRunId();
    const privateDir = await mkdtemp(path.join(tmpdir(), 'fruits-notebook-'));
    ctx.stack.defer(() => rm(privateDir, { recursive: true, force: true }), 'notebook context');
    const contextFile = path.join(privateDir, 'context.json');
    const context = {
      s3: stack.s3,
      master: 'local[2]',
      driver_memory: cfg.profile.kind === 'emr' ? '4g' : cfg.profile.spark.driverMemory,
      s3a_jars: tools.s3aJars,
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
    const notebook = path.join(cfg.root, NOTEBOOK);
    if (o.check) {
      const outDir = path.join(cfg.runsDir, 'notebooks');
      await mkdir(outDir, { recursive: true });
      const executed = path.join(outDir, `fruits-pipeline-${id}.ipynb`);
      out.info(`notebook: executing ${NOTEBOOK} headless (nbclient, kernel ${tools.python})...`);
      const res = await execa(tools.python, ['-c', CHECK_SCRIPT, notebook, executed, path.dirname(notebook)], {
        cancelSignal: signal, reject: false, env, extendEnv: true, stdout: 'pipe', stderr: 'pipe', all: true,
      });
      const lines = String(res.all ?? '').trim().split('\n');
      if (res.exitCode !== 0) {
        for (const line of lines.slice(-40)) out.info(line);
        if (/No module named '?(nbclient|nbformat|ipykernel)/.test(String(res.all))) {
          throw new PrerequisiteError('nbclient/nbformat/ipykernel are not in the project venv', 'add them to pipeline/requirements.lock (test extra), then npm run setup');
        }
        throw new JobError(`the notebook failed (exit ${res.exitCode}); the executed copy with the error is ${path.relative(cwd, executed)}`, 'fix the cell shown above; run `make notebook` to work on it interactively');
      }
      out.result(lines.at(-1) ?? 'notebook: ok');
      return 0;
    }
    out.info('notebook: Jupyter Lab on 127.0.0.1 with the stack up; Ctrl-C stops both');
    // Jupyter refuses to run as root unless told (containers, CI machines); it still listens on 127.0.0.1 only.
    const asRoot = process.getuid?.() === 0 ? ['--allow-root'] : [];
    const lab = await execa(tools.python, ['-m', 'jupyterlab', '--ip=127.0.0.1', '--no-browser', ...asRoot, `--ServerApp.root_dir=${path.dirname(notebook)}`, notebook], {
      cancelSignal: signal, reject: false, env, extendEnv: true, stdio: 'inherit',
    });
    if (lab.exitCode !== 0 && !signal.aborted) {
      throw new PrerequisiteError(`Jupyter Lab did not start (exit ${lab.exitCode})`, 'read its lines above; `npm run setup` installs jupyterlab (pipeline/requirements-test.lock); `npm run notebook -- --check` runs the notebook headless');
    }
    return 0;
  },
};

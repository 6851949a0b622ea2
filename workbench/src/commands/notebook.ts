/**
 * `npm run notebook -- [--check] [--input DIR] [--per-class N]`: the walkthrough notebook
 * (notebooks/fruits-pipeline.ipynb) against the local stack. targets/notebook.ts prepares what the kernel runs
 * against (set-up, the stack, the per-class subset uploaded by the one uploader, the private context file);
 * this command runs the kernel.
 *
 * --check executes it headless with nbclient (the project venv's kernel) and fails on any cell error; the
 * executed copy, with its outputs, is kept in runs/notebooks/ (git keeps the notebook without outputs).
 * Without --check it opens Jupyter Lab on 127.0.0.1 with the stack up, until Ctrl-C (`make notebook`).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { execa } from 'execa';
import { JobError, PrerequisiteError } from '../errors.js';
import { prepareNotebook } from '../targets/notebook.js';
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
    const { id, tools, env } = await prepareNotebook(cfg, ctx, { input: o.input ? path.resolve(cwd, o.input) : undefined, perClass: Number(o.perClass ?? 8) });
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

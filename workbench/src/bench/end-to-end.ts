/**
 * The end-to-end bench (issue 14 §2): the job through the workbench's local stack against a single-process script
 * that decodes, runs Keras and does a numpy PCA on the same images (pipeline/bench/bare_script.py), measured in
 * the same run, at each size. The job's side is its own stages from the manifest (`timings_s`); the command's
 * wall time (stack start, upload, download) is recorded beside it.
 *
 * Writes bench-results/end-to-end.json: sizes[].{images, job.stages_s, job.total_s, job.command_s, bare.stages_s,
 * bare.total_s} and ratios.job_vs_bare_keras[<images>] = bare total / job total (> 1: the job is faster).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { RunContext } from '../context.js';
import type { WorkbenchConfig } from '../config/schema.js';
import { parseInputSpec } from '../config/specs.js';
import { JobError } from '../errors.js';
import { withScope } from '../lifecycle.js';
import type { ToolPaths } from '../setup/index.js';
import { runOnLocalStack } from '../targets/local-stack.js';

export interface EndToEndSide {
  stages_s: Record<string, number>;
  total_s: number;
}

export interface EndToEndSize {
  images: number;
  input: string;
  /** model_cache: the job's converted-model cache (manifest engine.model_cache): miss = cold (TensorFlow + conversion in the run), hit = warm. */
  job: EndToEndSide & { command_s: number; engine: string; model_cache: string };
  bare: EndToEndSide;
}

/** Replicates the shared sample `copies` times with distinct keys, outside the repo (pipeline/bench/replicate_sample.py). */
export async function replicatedSample(root: string, tools: ToolPaths, src: string, copies: number, env: Record<string, string | undefined>, signal: AbortSignal): Promise<string> {
  const r = await execa(tools.python, [path.join(root, 'pipeline', 'bench', 'replicate_sample.py'), '--src', src, '--copies', String(copies)], { env, cancelSignal: signal });
  return r.stdout.trim().split('\n').at(-1)!;
}

export async function benchEndToEnd(cfg: WorkbenchConfig, ctx: RunContext, tools: ToolPaths, o: { input: string; weightsFile: string }): Promise<EndToEndSize> {
  const spec = parseInputSpec(o.input, cfg.root);
  if (!spec.ok) throw new Error(spec.message);
  const runCfg: WorkbenchConfig = { ...cfg, job: { ...cfg.job, input: spec.value, weights: { kind: 'file', path: o.weightsFile, raw: o.weightsFile } } };
  const t0 = performance.now();
  const outcome = await withScope((scope) => runOnLocalStack(runCfg, { ...scope, out: ctx.out, env: ctx.env }, { keep: false, inputSource: '--input', cwd: cfg.root }), {
    handleSignals: false,
    parent: ctx.signal,
    log: (l) => ctx.out.info(l),
  });
  const commandS = (performance.now() - t0) / 1000;
  const m = outcome.manifest as { timings_s?: Record<string, number>; counts: { inputs: number }; engine?: { name?: string; model_cache?: string } };
  const jobStages = Object.fromEntries(Object.entries(m.timings_s ?? {}).filter(([k]) => k !== 'total'));
  const jobTotal = m.timings_s?.total ?? Object.values(jobStages).reduce((a, b) => a + b, 0);

  const dir = await mkdtemp(path.join(tmpdir(), 'fruits-bare-'));
  try {
    const out = path.join(dir, 'bare.json');
    const r = await execa(tools.python, [path.join(cfg.root, 'pipeline', 'bench', 'bare_script.py'), '--input', spec.value.kind === 'local' ? spec.value.dir : o.input, '--weights', o.weightsFile, '--out', out], {
      env: { ...ctx.env, PYTHONPATH: path.join(cfg.root, 'pipeline', 'src') },
      cancelSignal: ctx.signal,
      reject: false,
      all: true,
    });
    if (r.exitCode !== 0) throw new JobError(`bare_script.py failed (exit ${r.exitCode}): ${String(r.all ?? '').split('\n').slice(-3).join(' | ')}`, 'run it by hand to see why');
    const bare = JSON.parse(await readFile(out, 'utf8')) as { timings_s: Record<string, number> };
    const bareStages = Object.fromEntries(Object.entries(bare.timings_s).filter(([k]) => k !== 'total'));
    return {
      images: m.counts.inputs,
      input: o.input,
      job: { stages_s: jobStages, total_s: jobTotal, command_s: Number(commandS.toFixed(1)), engine: m.engine?.name ?? 'keras', model_cache: m.engine?.model_cache ?? 'off' },
      bare: { stages_s: bareStages, total_s: bare.timings_s.total ?? Object.values(bareStages).reduce((a, b) => a + b, 0) },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The Docker bench (issue 21 item 4), per release: how large the release's Spark image is, how long the first
 * `--backend docker` run takes on a machine that has the base image but no project image (the bench removes the
 * release's images first, as on a new machine), and the Docker job's time against the native job's on the same
 * input, measured in the same bench run. The job's side is its own `timings_s.total` (manifest); the command's wall
 * time (image build, stack start, upload, download) is recorded beside it.
 *
 * The first run's command time includes the host's model conversion (the image holds no converter) when the
 * release's converted-model cache lacks the entry.
 *
 * Writes bench-results/docker.json: `releases.<label>` for each release measured (a run of one release keeps the
 * others' entries, each with its own measured_at), and at the top level the figures the docs cite (images, native,
 * docker, ratios.native_vs_docker: docs/sources.ts DockerResultSchema) from the default release's entry when there
 * is one. Goals are recorded as measured, never asserted: image ≤ 2 GB, first run ≤ 5 min, Docker job ≤ 1.3×
 * native.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunContext } from '../context.js';
import { DEFAULT_RELEASE } from '../config/releases.js';
import type { WorkbenchConfig } from '../config/schema.js';
import { parseInputSpec } from '../config/specs.js';
import { thisMachine } from '../docs/machine.js';
import { withScope } from '../lifecycle.js';
import { hasImage, connectDocker } from '../stack/docker/engine.js';
import { listSparkImages, removeSparkImages } from '../stack/docker/image.js';
import { readDockerPins } from '../stack/docker/pins.js';
import { runOnLocalStack } from '../targets/local-stack.js';

/** The goals for the Docker backend. */
export const DOCKER_GOALS = {
  imageBytes: 2e9,
  firstRunSeconds: 300,
  dockerVsNative: 1.3,
} as const;

export interface DockerBenchSide {
  /** The job's own time (manifest timings_s.total). */
  total_s: number;
  /** The whole command's wall time. */
  command_s: number;
  stages_s: Record<string, number>;
  /**
   * The converted-model cache (manifest engine.model_cache). The image holds no converter: before the Docker run the
   * host converts into the shared cache when the entry is missing (in command_s, not in total_s), so the Docker job
   * hits, and the native run after it hits the same entry (stack/docker/host-conversion.ts).
   */
  model_cache: string;
}

export interface DockerGoal {
  what: string;
  value: number | null;
  threshold: number;
  met: boolean | null;
}

export interface DockerBenchRelease {
  measured_at: string;
  release: string;
  spark: string;
  images: number;
  image: { tag: string | null; bytes: number | null; removed_before: string[]; base_image_present: boolean };
  /** The first `--backend docker` run without a project image or converted model: the build, the host's conversion, the stack and the job. */
  first_run: DockerBenchSide;
  native: DockerBenchSide;
  /** The Docker job of the same bench run (its first run: the build precedes the job, it does not change it). */
  docker: DockerBenchSide;
  /**
   * docker_vs_native: the jobs' totals. Its model-free twin leaves out loading the weights and converting the model
   * (stages weights + convert), which a converted-model cache hit skips: when the two runs' cache states differ
   * (model_cache), it is the like-for-like figure.
   */
  ratios: { docker_vs_native: number; native_vs_docker: number; docker_vs_native_without_model: number };
  goals: DockerGoal[];
}

/** A job's time without loading the weights and converting the model (what a model-cache hit skips). Pure. */
export function withoutModel(side: Pick<DockerBenchSide, 'total_s' | 'stages_s'>): number {
  return side.total_s - (side.stages_s.weights ?? 0) - (side.stages_s.convert ?? 0);
}

/** The goals of one release's figures. Pure. */
export function dockerGoals(r: Pick<DockerBenchRelease, 'image' | 'first_run' | 'ratios'>): DockerGoal[] {
  const goal = (what: string, value: number | null, threshold: number): DockerGoal => ({ what, value, threshold, met: value === null ? null : value <= threshold });
  return [
    goal('image bytes', r.image.bytes, DOCKER_GOALS.imageBytes),
    goal('first docker run seconds (base image present, no project image)', r.first_run.command_s, DOCKER_GOALS.firstRunSeconds),
    goal('docker job time / native job time', r.ratios.docker_vs_native, DOCKER_GOALS.dockerVsNative),
  ];
}

async function timedRun(cfg: WorkbenchConfig, ctx: RunContext, backend: 'native' | 'docker', o: { input: string; weightsFile: string }): Promise<DockerBenchSide & { images: number }> {
  const spec = parseInputSpec(o.input, cfg.root);
  if (!spec.ok) throw new Error(spec.message);
  const runCfg: WorkbenchConfig = {
    ...cfg,
    stack: { ...cfg.stack, backend },
    job: { ...cfg.job, input: spec.value, weights: { kind: 'file', path: o.weightsFile, raw: o.weightsFile } },
  };
  const t0 = performance.now();
  const outcome = await withScope((scope) => runOnLocalStack(runCfg, { ...scope, out: ctx.out, env: ctx.env }, { keep: false, inputSource: '--input', cwd: cfg.root }), {
    handleSignals: false,
    parent: ctx.signal,
    log: (l) => ctx.out.info(l),
  });
  const commandS = (performance.now() - t0) / 1000;
  const m = outcome.manifest as { timings_s?: Record<string, number>; counts: { inputs: number }; engine?: { model_cache?: string } };
  const stages = Object.fromEntries(Object.entries(m.timings_s ?? {}).filter(([k]) => k !== 'total'));
  return {
    images: m.counts.inputs,
    total_s: m.timings_s?.total ?? Object.values(stages).reduce((a, b) => a + b, 0),
    command_s: Number(commandS.toFixed(1)),
    stages_s: stages,
    model_cache: m.engine?.model_cache ?? 'off',
  };
}

/** Measures cfg.release on the Docker backend against the native one (see the header). */
export async function benchDocker(cfg: WorkbenchConfig, ctx: RunContext, o: { input: string; weightsFile: string }): Promise<DockerBenchRelease> {
  const release = cfg.release;
  const docker = await connectDocker(ctx.env);
  const pins = readDockerPins(cfg.root);
  const basePresent = (await hasImage(docker, pins.baseImage)) || (await hasImage(docker, pins.localBase.tag));
  const removed = await removeSparkImages(docker, release.label);
  // As on a new machine, the release's converted-model cache is empty too: the first run converts on the host.
  rmSync(path.join(cfg.cacheDir, 'converted-models', release.label), { recursive: true, force: true });
  ctx.out.info(`bench: docker, ${release.label}: removed ${removed.length ? removed.join(', ') : 'no project image'} and the converted-model cache; base image ${basePresent ? 'present' : 'absent (the first run builds it too)'}`);

  const { images, ...firstRun } = await timedRun(cfg, ctx, 'docker', o);
  const built = (await listSparkImages(docker, release.label))[0];
  const { images: nativeImages, ...native } = await timedRun(cfg, ctx, 'native', o);
  if (nativeImages !== images) throw new Error(`bench: the native run read ${nativeImages} images, the Docker run ${images}`);
  const ratios = {
    docker_vs_native: Number((firstRun.total_s / native.total_s).toFixed(3)),
    native_vs_docker: Number((native.total_s / firstRun.total_s).toFixed(3)),
    docker_vs_native_without_model: Number((withoutModel(firstRun) / withoutModel(native)).toFixed(3)),
  };
  const result = {
    measured_at: new Date().toISOString(),
    release: release.label,
    spark: release.spark,
    images,
    image: { tag: built?.tag ?? null, bytes: built?.bytes ?? null, removed_before: removed, base_image_present: basePresent },
    first_run: firstRun,
    native,
    docker: firstRun,
    ratios,
  };
  return { ...result, goals: dockerGoals(result) };
}

/** docker.json with this release's entry added (others kept), top-level figures from the default release's entry. */
export function mergeDockerResult(previous: unknown, entry: DockerBenchRelease, defaultRelease = DEFAULT_RELEASE.label): Record<string, unknown> {
  const prev = (previous && typeof previous === 'object' ? previous : {}) as { releases?: Record<string, DockerBenchRelease> };
  const releases = { ...(prev.releases ?? {}), [entry.release]: entry };
  const top = releases[defaultRelease] ?? entry;
  return {
    measured_at: top.measured_at,
    machine: thisMachine(),
    release: top.release,
    images: top.images,
    native: top.native,
    docker: top.docker,
    ratios: top.ratios,
    image_bytes: top.image.bytes,
    first_run_s: top.first_run.command_s,
    goals: top.goals,
    releases,
  };
}

export function writeDockerResult(file: string, entry: DockerBenchRelease): Record<string, unknown> {
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as unknown) : undefined;
  const merged = mergeDockerResult(previous, entry);
  writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
  return merged;
}

/** One line per figure, for the terminal. Pure. */
export function formatDockerBench(r: DockerBenchRelease): string[] {
  const gb = r.image.bytes === null ? 'unknown' : `${(r.image.bytes / 1e9).toFixed(2)} GB`;
  const mark = (g: DockerGoal) => (g.met === null ? 'not measured' : g.met ? 'met' : 'NOT met');
  return [
    `bench: docker, ${r.release} (Spark ${r.spark}), ${r.images} images: image ${r.image.tag ?? '?'} ${gb}`,
    `bench: docker, first run ${r.first_run.command_s.toFixed(1)} s (build + stack + job); job ${r.docker.total_s.toFixed(1)} s Docker (model cache ${r.docker.model_cache}) vs ${r.native.total_s.toFixed(1)} s native (model cache ${r.native.model_cache}) = ${r.ratios.docker_vs_native}x; without weights + convert ${r.ratios.docker_vs_native_without_model}x`,
    ...r.goals.map((g) => `bench: docker goal, ${g.what}: ${g.value ?? 'n/a'} (<= ${g.threshold}) ${mark(g)}`),
  ];
}

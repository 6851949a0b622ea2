/**
 * The scale bench (issue 20 §2): the whole local stack (`npm run local` on the `local` profile) on the shared
 * sample replicated to 3,120, 24,960 and 99,840 images with distinct keys (pipeline/bench/replicate_sample.py,
 * hard links in the cache folder, outside the clone). Per size it records the whole command's seconds and
 * images/s, the job step's wall time (spark-submit), the job's stages and task count (manifest), and the peak
 * RSS of the driver JVM, the driver's Python, one executor and one Python worker (bench/process-peaks.ts; in
 * local mode the executor is the driver JVM), and where the machine's CPU went during the whole command: CPU
 * seconds per role (the job's processes, MinIO, this Node process, any other child) next to the machine's busy
 * and available CPU, and per image. Then the issue's goals as ratios, printed met / not met: a bench measures, it
 * never fails on a number. The runs read the input as job.inputFormat says (images, or packed: the host packs it
 * into Parquet files first, a step of the whole command), recorded per size as input_format.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { RunContext } from '../context.js';
import type { InputFormat, WorkbenchConfig } from '../config/schema.js';
import { parseInputSpec } from '../config/specs.js';
import { withScope } from '../lifecycle.js';
import { runOnLocalStack } from '../targets/local-stack.js';
import { CPU_ROLES, sampleProcessPeaks, type CpuRole, type CpuUsage, type ProcessSample } from './process-peaks.js';

/** Copies of the 390-image shared sample: 3,120, 24,960 and 99,840 images. The last is skipped by --skip-largest. */
export const SCALE_COPIES = [8, 64, 256] as const;

export interface ScaleSize {
  images: number;
  copies: number;
  input: string;
  engine: string;
  /** job.inputFormat of the run: images (one object per image) or packed (Parquet files packed on the host). */
  input_format: InputFormat;
  /** The job's converted-model cache (manifest engine.model_cache): miss = the driver converted the model in this run. */
  model_cache: string;
  /** The whole `npm run local` (stack start, packing when packed, mirror upload, job, download, report). */
  command_s: number;
  command_images_per_s: number;
  /** The job step alone: spark-submit's wall time as the workbench measured it (JVM start to exit). */
  job_step_s: number;
  job_images_per_s: number;
  /** manifest timings_s (the job's own stages). */
  stages_s: Record<string, number>;
  /** Featurization tasks (manifest spark.tasks, else spark.partitions). */
  tasks: number | null;
  counts: { inputs: number; featurized: number; errors: number };
  memory: {
    driver_jvm_mb: number | null;
    driver_python_mb: number | null;
    executor_mb: number | null;
    python_worker_mb: number | null;
    python_workers_seen: number;
    note: string;
  };
  /** null off Linux (no /proc). */
  cpu: ScaleCpu | null;
}

/** Where the machine's CPU went during the whole command, CPU seconds (one core busy for one second = 1). */
export interface ScaleCpu {
  window_s: number;
  cores: number;
  /** window_s * cores: all the CPU the machine had. */
  capacity_s: number;
  /** Busy CPU of the whole machine (every process, ours or not), /proc/stat. */
  machine_busy_s: number;
  /** Sum of by_role_s: machine_busy_s minus this is CPU the roles do not cover (other work on the machine, kernel). */
  tracked_s: number;
  by_role_s: Partial<Record<CpuRole, number>>;
  /** by_role_s per image, in core-milliseconds. */
  core_ms_per_image: Partial<Record<CpuRole, number>>;
  note: string;
}

export interface Goal {
  name: string;
  value: number | null;
  threshold: number;
  /** 'min': value >= threshold; 'max': value <= threshold. */
  kind: 'min' | 'max';
  met: boolean | null;
  what: string;
}

export function machineInfo(): { cpu_model: string; cores: number } {
  let model = os.cpus()[0]?.model?.trim() || 'unknown';
  try {
    model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? model;
  } catch {
    // not Linux: os.cpus() says it
  }
  return { cpu_model: model, cores: os.cpus().length };
}

/** "job 47 s" / "job 3 min 05 s" in the run summary's workbench line (run/summary.ts formatSeconds). */
export function jobStepSeconds(summary: string[]): number | null {
  const line = summary.find((l) => l.trimStart().startsWith('workbench'));
  const m = line && /\bjob (?:(\d+) min (\d+) s|([\d.]+) s)/.exec(line);
  if (!m) return null;
  return m[3] !== undefined ? Number(m[3]) : Number(m[1]) * 60 + Number(m[2]);
}

export async function benchScaleSize(cfg: WorkbenchConfig, ctx: RunContext, o: { input: string; copies: number; weightsFile: string }): Promise<ScaleSize> {
  const spec = parseInputSpec(o.input, cfg.root);
  if (!spec.ok) throw new Error(spec.message);
  const runCfg: WorkbenchConfig = {
    ...cfg,
    profileName: 'local',
    profile: cfg.profiles.local ?? cfg.profile,
    job: { ...cfg.job, input: spec.value, weights: { kind: 'file', path: o.weightsFile, raw: o.weightsFile } },
  };
  const sampler = sampleProcessPeaks();
  const t0 = performance.now();
  let sample: ProcessSample;
  let outcome;
  try {
    outcome = await withScope((scope) => runOnLocalStack(runCfg, { ...scope, out: ctx.out, env: ctx.env }, { keep: false, inputSource: '--input', cwd: cfg.root }), {
      handleSignals: false,
      parent: ctx.signal,
      log: (l) => ctx.out.info(l),
    });
  } finally {
    sample = sampler.stop();
  }
  const peaks = sample.peaks;
  const commandS = (performance.now() - t0) / 1000;
  const m = outcome.manifest as typeof outcome.manifest & { engine?: { name?: string; model_cache?: string } };
  const stages = Object.fromEntries(Object.entries(m.timings_s).filter(([k]) => k !== 'total'));
  const jobStep = jobStepSeconds(outcome.summary) ?? m.timings_s.total ?? commandS;
  const spark = m.spark as { tasks?: unknown; partitions?: unknown };
  const tasks = typeof spark.tasks === 'number' ? spark.tasks : typeof spark.partitions === 'number' ? spark.partitions : null;
  const images = m.counts.inputs;
  const local = runCfg.profile.kind === 'local';
  return {
    images,
    copies: o.copies,
    input: o.input,
    engine: m.engine?.name ?? cfg.job.engine,
    input_format: runCfg.job.inputFormat,
    model_cache: m.engine?.model_cache ?? 'off',
    command_s: Number(commandS.toFixed(1)),
    command_images_per_s: Number((images / commandS).toFixed(2)),
    job_step_s: Number(jobStep.toFixed(1)),
    job_images_per_s: Number((images / jobStep).toFixed(2)),
    stages_s: stages,
    tasks,
    counts: { inputs: m.counts.inputs, featurized: m.counts.featurized, errors: m.counts.errors },
    memory: {
      driver_jvm_mb: peaks['driver-jvm']?.peakRssMb ?? null,
      driver_python_mb: peaks['driver-python']?.peakRssMb ?? null,
      executor_mb: local ? (peaks['driver-jvm']?.peakRssMb ?? null) : (peaks['executor-jvm']?.peakRssMb ?? null),
      python_worker_mb: peaks['python-worker']?.peakRssMb ?? null,
      python_workers_seen: peaks['python-worker']?.processes ?? 0,
      note: local
        ? 'local mode (local[*]): the executor is the driver JVM, so executor_mb is the driver JVM\'s peak; peaks are VmHWM sampled every 0.5 s from /proc'
        : 'peaks are VmHWM sampled every 0.5 s from /proc; executor_mb is the largest executor JVM',
    },
    cpu: sample.cpu ? scaleCpu(sample.cpu, images) : null,
  };
}

const round2 = (x: number) => Number(x.toFixed(2));

/** CPU seconds per role as core-milliseconds per image, in CPU_ROLES order. */
export function coreMsPerImage(byRoleS: Partial<Record<CpuRole, number>>, images: number): Partial<Record<CpuRole, number>> {
  const out: Partial<Record<CpuRole, number>> = {};
  for (const r of CPU_ROLES) if (byRoleS[r] !== undefined && images > 0) out[r] = round2((byRoleS[r] * 1000) / images);
  return out;
}

/** The sampler's CPU figures as written to scale.json: rounded, roles in CPU_ROLES order, plus totals and per image. */
export function scaleCpu(u: CpuUsage, images: number): ScaleCpu {
  const byRole: Partial<Record<CpuRole, number>> = {};
  for (const r of CPU_ROLES) if (u.byRoleS[r] !== undefined) byRole[r] = round2(u.byRoleS[r]);
  return {
    window_s: Number(u.windowS.toFixed(1)),
    cores: u.cores,
    capacity_s: Number((u.windowS * u.cores).toFixed(1)),
    machine_busy_s: Number(u.machineBusyS.toFixed(1)),
    tracked_s: Number(Object.values(u.byRoleS).reduce((a, b) => a + b, 0).toFixed(1)),
    by_role_s: byRole,
    core_ms_per_image: coreMsPerImage(u.byRoleS, images),
    note:
      'CPU seconds (user+system) per role over the whole command: /proc/<pid>/stat sampled every 0.5 s (a process that exits loses ' +
      'at most its last 0.5 s), workbench-node from process.cpuUsage(); machine_busy_s from /proc/stat, every process on the machine; ' +
      'capacity_s = window_s x cores',
  };
}

/** The issue's goals, same run, this machine. A missing figure gives met: null, never a failure. */
export function scaleGoals(sizes: ScaleSize[], featurizeWarmImagesPerS: number | null): Goal[] {
  const by = (n: number) => sizes.find((s) => s.images === n);
  const small = by(3120);
  const large = by(99_840);
  const goal = (name: string, value: number | null, threshold: number, kind: Goal['kind'], what: string): Goal => ({
    name,
    value: value === null ? null : Number(value.toFixed(3)),
    threshold,
    kind,
    met: value === null ? null : kind === 'min' ? value >= threshold : value <= threshold,
    what,
  });
  const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? a / b : null);
  return [
    goal('rate_99840_vs_3120', ratio(large?.command_images_per_s, small?.command_images_per_s), 0.95, 'min', 'whole-command images/s at 99,840 / at 3,120'),
    goal('rate_99840_vs_featurize_warm', ratio(large?.command_images_per_s, featurizeWarmImagesPerS), 0.75, 'min', "whole-command images/s at 99,840 / the engine's warm featurization rate (featurize.json)"),
    goal('driver_rss_99840_vs_3120', ratio(large?.memory.driver_jvm_mb, small?.memory.driver_jvm_mb), 1.5, 'max', 'driver JVM peak RSS at 99,840 / at 3,120'),
    goal('python_worker_rss_99840_vs_3120', ratio(large?.memory.python_worker_mb, small?.memory.python_worker_mb), 1.1, 'max', 'Python worker peak RSS at 99,840 / at 3,120 ("flat": within 10%)'),
  ];
}

export function formatGoal(g: Goal): string {
  const verdict = g.met === null ? 'not measured' : g.met ? 'met' : 'NOT met';
  return `${g.what}: ${g.value === null ? '-' : `${g.value}x`} (goal ${g.kind === 'min' ? '>=' : '<='} ${g.threshold}x): ${verdict}`;
}

/** The size's figures; a second, indented line says where the CPU went. */
export function formatScaleSize(s: ScaleSize): string {
  const mb = (x: number | null) => (x === null ? '-' : `${x} MiB`);
  return (
    `${s.images.toLocaleString('en-US')} images: command ${s.command_s} s (${s.command_images_per_s} images/s), job step ${s.job_step_s} s ` +
    `(${s.job_images_per_s} images/s), ${s.tasks ?? '?'} tasks; peak RSS driver JVM ${mb(s.memory.driver_jvm_mb)}, driver Python ${mb(s.memory.driver_python_mb)}, ` +
    `executor ${mb(s.memory.executor_mb)}, Python worker ${mb(s.memory.python_worker_mb)}\n  ${formatScaleCpu(s.cpu)}`
  );
}

/** One line: the machine's CPU, then each role's CPU seconds and core-ms per image, largest first. */
export function formatScaleCpu(c: ScaleCpu | null): string {
  if (!c) return 'cpu: not measured (no /proc)';
  const roles = Object.entries(c.by_role_s)
    .sort(([, a], [, b]) => b - a)
    .map(([r, sec]) => `${r} ${sec} s (${c.core_ms_per_image[r as CpuRole]} core-ms/image)`);
  return `cpu: ${c.window_s} s x ${c.cores} cores = ${c.capacity_s} core-s, machine busy ${c.machine_busy_s} core-s, tracked ${c.tracked_s}: ${roles.join(', ')}`;
}

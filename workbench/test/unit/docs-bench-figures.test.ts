/** The bench blocks render what the result files say, and say which command writes a result that is absent. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { benchSummary, endToEnd, scale } from '../../src/docs/figures/bench.js';
import { repoSources } from '../../src/docs/sources.js';

const machine = { cpu_model: 'Test CPU', cores: 2, memory_gib: 8 };
const side = (total: number) => ({ stages_s: { read: 1, featurize: total - 1 }, total_s: total });

describe('bench figure blocks', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'docs-bench-'));
    mkdirSync(path.join(root, 'bench-results'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const write = (name: string, data: unknown) => writeFileSync(path.join(root, 'bench-results', `${name}.json`), JSON.stringify(data));

  it('end-to-end: a column per size and side, the ratio from the file, the machine and date', () => {
    write('end-to-end', {
      measured_at: '2026-12-04T10:00:00Z',
      machine,
      sizes: [{ images: 3120, job: { ...side(40), command_s: 50, engine: 'onnxruntime', model_cache: 'hit' }, bare: side(50) }],
      ratios: { job_vs_bare_keras: { 3120: 1.25 } },
    });
    const text = endToEnd(repoSources(root));
    expect(text).toContain('| seconds | job, 3,120 images (model cache hit) | script, 3,120 images |');
    expect(text).toContain('| featurize | 39.0 | 49.0 |');
    expect(text).toContain('**1.25x** the script (40.0 s against 50.0 s)');
    expect(text).toContain('measured 2026-12-04 on 2 cores of Test CPU, 8 GiB');
  });

  it('scale: one row per size with memory peaks, and each goal with its verdict', () => {
    const size = (images: number, rate: number, jvm: number | null) => ({
      images, engine: 'onnxruntime', command_s: images / rate, command_images_per_s: rate, job_step_s: 10, job_images_per_s: 100, tasks: 4,
      counts: { inputs: images, featurized: images, errors: 0 }, memory: { driver_jvm_mb: jvm, driver_python_mb: 200, executor_mb: null, python_worker_mb: 900 },
    });
    write('scale', {
      measured_at: '2026-12-04T11:00:00Z',
      machine,
      sizes: [size(3120, 50, 1000), size(24960, 80, null)],
      goals: [{ what: 'rate ratio', value: 1.6, threshold: 0.95, kind: 'min', met: true }, { what: 'driver ratio', value: null, threshold: 1.5, kind: 'max', met: null }],
    });
    const text = scale(repoSources(root));
    expect(text).toContain('| 3,120 | 62.4 (50.0) | 10.0 (100.0) | 4 | 3,120 + 0 errors | 1000 | 200 | - | 900 |');
    expect(text).toContain('| 24,960 | 312.0 (80.0) | 10.0 (100.0) | 4 | 24,960 + 0 errors | - | 200 | - | 900 |');
    expect(text).toContain('- rate ratio: 1.6x, met (goal at least 0.95)');
    expect(text).toContain('- driver ratio: not measured in this run (goal at most 1.5)');
  });

  it('scale: a CPU table per size when the result has one, roles in the file\'s order, none when no size has it', () => {
    const size = (images: number, cpu: unknown) => ({
      images, engine: 'onnxruntime', command_s: 100, command_images_per_s: images / 100, job_step_s: 80, job_images_per_s: images / 80, tasks: 4,
      counts: { inputs: images, featurized: images, errors: 0 }, memory: { driver_jvm_mb: 1000, driver_python_mb: 200, executor_mb: 1000, python_worker_mb: 900 }, cpu,
    });
    const cpu = { window_s: 100, cores: 2, capacity_s: 200, machine_busy_s: 180, by_role_s: { 'python-worker': 100, minio: 30 }, core_ms_per_image: { 'python-worker': 10, minio: 3 } };
    const goals: unknown[] = [];
    write('scale', { measured_at: '2026-12-04T11:00:00Z', machine, sizes: [size(10000, cpu), size(20000, null)], goals });
    const text = scale(repoSources(root));
    expect(text).toContain('| images | python-worker | minio | machine | machine busy |');
    expect(text).toContain('| 10,000 | 10.00 | 3.00 | 18.00 | 90% |');
    // The size without CPU figures has its main row only.
    expect(text.split('\n').filter((l) => l.startsWith('| 20,000 |'))).toHaveLength(1);
    write('scale', { measured_at: '2026-12-04T11:00:00Z', machine, sizes: [size(10000, undefined)], goals });
    expect(scale(repoSources(root))).not.toContain('core-milliseconds');
  });

  it('scale: says how the input was read when the result records it (older results do not: images)', () => {
    const size = (images: number, input_format?: string) => ({
      images, engine: 'onnxruntime', input_format, command_s: 100, command_images_per_s: images / 100, job_step_s: 80, job_images_per_s: images / 80, tasks: 4,
      counts: { inputs: images, featurized: images, errors: 0 }, memory: { driver_jvm_mb: 1000, driver_python_mb: 200, executor_mb: 1000, python_worker_mb: 900 },
    });
    write('scale', { measured_at: '2026-12-04T11:00:00Z', machine, sizes: [size(3120, 'packed'), size(24960, 'packed')], goals: [] });
    expect(scale(repoSources(root))).toContain('engine onnxruntime, input packed into Parquet files on the host (`job.inputFormat: packed`))');
    write('scale', { measured_at: '2026-12-04T11:00:00Z', machine, sizes: [size(3120)], goals: [] });
    expect(scale(repoSources(root))).toContain('engine onnxruntime) on the shared');
  });

  it('names the command that writes a missing result', () => {
    expect(scale(repoSources(root))).toContain('`npm run bench -- --only scale` writes `bench-results/scale.json`');
    expect(benchSummary(repoSources(root))).toContain('`npm run bench -- --only docker` writes `bench-results/docker.json`');
  });
});

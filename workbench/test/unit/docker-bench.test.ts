/** The Docker bench's result (bench/docker.ts): goals as measured, one entry per release, and a file the docs can read. */
import { describe, expect, it } from 'vitest';
import { dockerGoals, mergeDockerResult, withoutModel, type DockerBenchRelease } from '../../src/bench/docker.js';
import { DockerResultSchema } from '../../src/docs/sources.js';

const side = (total_s: number, command_s: number) => ({ total_s, command_s, stages_s: { featurize: total_s / 2 }, model_cache: 'off' });
function entry(release: string, o: { bytes: number | null; first: number; docker: number; native: number }): DockerBenchRelease {
  const r = {
    measured_at: '2026-12-04T15:00:00.000Z',
    release,
    spark: '3.5.6',
    images: 390,
    image: { tag: `fruits-workbench/spark:${release}-000000000000`, bytes: o.bytes, removed_before: [], base_image_present: true },
    first_run: side(o.docker, o.first),
    native: side(o.native, o.native + 10),
    docker: side(o.docker, o.first),
    ratios: { docker_vs_native: Number((o.docker / o.native).toFixed(3)), native_vs_docker: Number((o.native / o.docker).toFixed(3)), docker_vs_native_without_model: 1 },
  };
  return { ...r, goals: dockerGoals(r) };
}

describe('docker bench result', () => {
  it('the model-free job time leaves out loading the weights and converting the model', () => {
    expect(withoutModel({ total_s: 30, stages_s: { read: 4, weights: 5, convert: 3, featurize: 18 } })).toBe(22);
    expect(withoutModel({ total_s: 20, stages_s: { read: 4, featurize: 16 } })).toBe(20);
  });

  it('records each goal as met or not, never hides an unknown size', () => {
    const g = entry('emr-a', { bytes: 3.02e9, first: 290, docker: 70, native: 60 }).goals;
    expect(g.map((x) => [x.threshold, x.met])).toEqual([
      [2e9, false],
      [300, true],
      [1.3, true],
    ]);
    expect(entry('emr-a', { bytes: null, first: 400, docker: 90, native: 60 }).goals.map((x) => x.met)).toEqual([null, false, false]);
  });

  it("keeps the other release's entry and takes the top-level figures from the default release", () => {
    const a = entry('emr-a', { bytes: 3e9, first: 290, docker: 70, native: 60 });
    const b = entry('emr-b', { bytes: 2.5e9, first: 250, docker: 80, native: 50 });
    const first = mergeDockerResult(undefined, b, 'emr-a');
    expect(first.release).toBe('emr-b');
    const both = mergeDockerResult(first, a, 'emr-a') as { release: string; releases: Record<string, DockerBenchRelease>; docker: { total_s: number } };
    expect(Object.keys(both.releases).sort()).toEqual(['emr-a', 'emr-b']);
    expect(both.release).toBe('emr-a');
    expect(both.docker.total_s).toBe(70);
    expect(mergeDockerResult(both, b, 'emr-a').release).toBe('emr-a');
  });

  it('is a result the docs check accepts (measured_at, machine, images, both sides, the ratio)', () => {
    const merged = mergeDockerResult(undefined, entry('emr-a', { bytes: 3e9, first: 290, docker: 70, native: 60 }), 'emr-a');
    const parsed = DockerResultSchema.safeParse(merged);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(parsed.data?.ratios.native_vs_docker).toBeCloseTo(60 / 70, 3);
  });
});

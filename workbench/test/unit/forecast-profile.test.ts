import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { deriveThroughputProfile, fitLine, type ScaleFigures } from '../../src/forecast/derive-profile.js';
import { engineRate, loadThroughputProfile, parseThroughputProfile, THROUGHPUT_PROFILE_FILE, THROUGHPUT_PROFILE_FORMAT } from '../../src/forecast/profile.js';

const valid = {
  format: THROUGHPUT_PROFILE_FORMAT,
  measuredAt: '2026-12-04T12:00:00.000Z',
  machine: { cpuModel: 'Test CPU', cores: 2 },
  sources: ['bench-results/scale.json'],
  fixedSeconds: 30,
  engines: { onnxruntime: { imagesPerSecondPerCore: 40, basis: 'test' } },
};

const tmpFile = (content: string) => {
  const f = path.join(mkdtempSync(path.join(tmpdir(), 'wb-profile-')), 'p.json');
  writeFileSync(f, content);
  return f;
};

describe('throughput profile loader', () => {
  it('loads a valid profile', async () => {
    const p = await loadThroughputProfile(tmpFile(JSON.stringify(valid)));
    expect(p.engines.onnxruntime?.imagesPerSecondPerCore).toBe(40);
  });

  it('a missing file is a ConfigError naming the file and the command that measures it', async () => {
    const err = await loadThroughputProfile('/nonexistent/throughput-profile.json').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/\/nonexistent\/throughput-profile.json.*missing.*npm run bench -- --only scale/s);
  });

  it('a bad value names its key and the refresh command; unknown keys are refused', () => {
    const bad = { ...valid, engines: { onnxruntime: { imagesPerSecondPerCore: -1, basis: 'x' } }, extra: 1 };
    const err = (() => {
      try {
        parseThroughputProfile(bad, 'p.json');
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toContain('engines.onnxruntime.imagesPerSecondPerCore');
    expect(err!.message).toContain('extra');
    expect(err!.message).toContain('npm run bench -- --only profile');
  });

  it('not JSON, and no engine at all, are refused', async () => {
    await expect(loadThroughputProfile(tmpFile('{oops'))).rejects.toThrow(/not JSON/);
    expect(() => parseThroughputProfile({ ...valid, engines: {} }, 'p.json')).toThrow(/at least one engine/);
  });

  it('an engine the profile never measured is refused with the bench that measures it', () => {
    const p = parseThroughputProfile(valid, 'p.json');
    expect(() => engineRate(p, 'keras')).toThrow(/no rate for keras \(it has onnxruntime\)/);
  });

  it('the committed profile, when present, is valid', async () => {
    const file = path.resolve(__dirname, '../../..', THROUGHPUT_PROFILE_FILE);
    if (!existsSync(file)) return; // a fresh measurement writes it; nothing to check before
    const p = await loadThroughputProfile(file);
    expect(Object.keys(p.engines).length).toBeGreaterThan(0);
  });
});

describe('deriving the profile from bench results', () => {
  it('fitLine: exact on collinear points, least squares otherwise', () => {
    expect(fitLine([{ x: 1000, y: 30 }, { x: 3000, y: 70 }])).toEqual({ slope: 0.02, intercept: 10 });
    const f = fitLine([{ x: 0, y: 1 }, { x: 1, y: 2 }, { x: 2, y: 4 }]);
    expect(f.slope).toBeCloseTo(1.5, 10);
    expect(() => fitLine([{ x: 5, y: 1 }, { x: 5, y: 2 }])).toThrow(/two distinct/);
  });

  const scale: ScaleFigures = {
    measured_at: '2026-12-04T12:00:00.000Z',
    machine: { cpu_model: 'AMD EPYC', cores: 2 },
    sizes: [
      { images: 3120, engine: 'onnxruntime', job_step_s: 10 + 3120 * 0.02 },
      { images: 24960, engine: 'onnxruntime', job_step_s: 10 + 24960 * 0.02 },
    ],
  };

  it('rate per core = 1 / (slope x cores); fixed = intercept', () => {
    const p = deriveThroughputProfile({ scale, sources: ['s'] });
    expect(p.engines.onnxruntime?.imagesPerSecondPerCore).toBe(25);
    expect(p.fixedSeconds).toBe(10);
    expect(p.machine).toEqual({ cpuModel: 'AMD EPYC', cores: 2 });
    expect(() => parseThroughputProfile(p, 'derived')).not.toThrow();
  });

  it('other engines: the featurization part swapped using the featurize bench', () => {
    // onnxruntime featurizes at 100 images/s on 2 cores (0.02 core-s per image), keras at 50 (0.04).
    const featurize = { cores: 2, engines: { onnxruntime: { warm: { images_per_s: 100 } }, keras: { warm: { images_per_s: 50 } } } };
    const p = deriveThroughputProfile({ scale, featurize, sources: ['s', 'f'] });
    // whole job 0.04 core-s per image with onnxruntime; keras adds 0.02: 0.06 -> 16.667 images/s per core.
    expect(p.engines.keras?.imagesPerSecondPerCore).toBeCloseTo(16.667, 3);
    expect(p.engines.openvino).toBeUndefined();
  });

  it('a job whose time does not grow with the input is refused (a broken measurement)', () => {
    const flat = { ...scale, sizes: scale.sizes.map((s) => ({ ...s, job_step_s: 50 })) };
    expect(() => deriveThroughputProfile({ scale: flat, sources: ['s'] })).toThrow(/does not grow/);
  });
});

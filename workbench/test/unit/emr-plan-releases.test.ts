import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RELEASE, RELEASES, findRelease } from '../../src/config/releases.js';
import { buildPromotePlan } from '../../src/emr/plan.js';
import { summarizePlan } from '../../src/emr/plan-summary.js';
import { jarFileName } from '../../src/setup/jars.js';
import { measureReleaseSizes } from '../../src/targets/release-sizes.js';
import { emrConfig, planInputs } from '../helpers/emr-fixtures.js';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('the releases in a promote plan', () => {
  it('runs the profile\'s release: its label in RunJobFlow, its Python and Spark in the bootstrap', () => {
    for (const r of RELEASES) {
      const plan = buildPromotePlan(emrConfig({ profile: { release: r.label } }), planInputs());
      expect(plan.release.label).toBe(r.label);
      expect(plan.runJobFlow.ReleaseLabel).toBe(r.label);
      expect(plan.runJobFlow.BootstrapActions![0]!.ScriptBootstrapAction!.Args).toEqual([expect.stringMatching(/^s3:\/\//), r.python, r.spark]);
      expect(plan.runJobFlow.Steps![0]!.HadoopJarStep!.Args).toEqual(expect.arrayContaining(['--release', r.label]));
    }
  });

  it('lists every release with what it runs and what it weighs here; what is not built here says so', () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'wb-rel-sizes-'));
    const other = RELEASES.find((r) => r !== DEFAULT_RELEASE)!;
    // The other release's s3a jars are present (one byte each); the default's are not.
    mkdirSync(path.join(cache, 'jars'));
    for (const j of other.s3a.jars) writeFileSync(path.join(cache, 'jars', jarFileName(j)), 'x');
    const plan = buildPromotePlan(emrConfig(), planInputs());
    const withSizes = { ...plan, releases: measureReleaseSizes(ROOT, cache, plan) };
    const rows = withSizes.releases;
    expect(rows.map((r) => r.label)).toEqual(RELEASES.map((r) => r.label));
    const selected = rows.find((r) => r.selected)!;
    expect(selected.label).toBe(plan.release.label);
    expect(selected.artifactBytes).toBe(plan.uploads.filter((u) => u.role === 'artifact').reduce((s, u) => s + u.bytes, 0));
    expect(rows.find((r) => r.label === other.label)!.s3aJarBytes).toBe(other.s3a.jars.length);

    const text = summarizePlan(withSizes).join('\n');
    const r8 = findRelease('emr-spark-8.1.0')!;
    expect(text).toContain(`emr-spark-8.1.0: Spark ${r8.emrSpark}, Scala ${r8.scala}, Python ${r8.python}, Java ${r8.java}, Hadoop ${r8.hadoop}`);
    expect(text).toMatch(/emr-7\.13\.0: Spark 3\.5\.6-amzn-2/);
    expect(text).toMatch(new RegExp(`\\*. ${plan.release.label.replace(/\./g, '\\.')}: .*artifact [\\d.]+ MB \\(\\d+ wheels\\) uploaded once`));
    expect(text).toMatch(new RegExp(`${DEFAULT_RELEASE.label.replace(/\./g, '\\.')}: .*\\d+ s3a jars not downloaded here`));
  });
});

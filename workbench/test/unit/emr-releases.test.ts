import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EMR_RELEASES, PINNED_SPARK, releaseFor } from '../../src/emr/releases.js';
import { PlanRefusedError } from '../../src/errors.js';

const versions = JSON.parse(readFileSync(new URL('../../../versions.json', import.meta.url), 'utf8'));

describe('EMR release table', () => {
  it('maps the pinned release to the pinned Spark, Python and Java', () => {
    expect(PINNED_SPARK).toBe(versions.spark);
    const r = releaseFor(versions.emr.releaseLabel);
    expect(r).toMatchObject({ label: 'emr-7.13.0', spark: '3.5.6', python: '3.11', java: '17' });
    expect(r.spark).toBe(versions.emr.spark);
    expect(r.python).toBe(versions.emr.python);
    expect(r.java).toBe(versions.emr.java);
  });

  it('has one row per label, each EMR build based on its Apache version', () => {
    const labels = EMR_RELEASES.map((r) => r.label);
    expect(new Set(labels).size).toBe(labels.length);
    for (const r of EMR_RELEASES) expect(r.emrSpark.startsWith(`${r.spark}-amzn-`)).toBe(true);
  });

  it('accepts every release that ships the pinned Spark', () => {
    for (const r of EMR_RELEASES.filter((x) => x.spark === PINNED_SPARK)) expect(releaseFor(r.label).label).toBe(r.label);
  });

  it('refuses a release whose Spark differs from the pin, naming the ones that fit', () => {
    expect(() => releaseFor('emr-7.10.0')).toThrow(PlanRefusedError);
    expect(() => releaseFor('emr-7.10.0')).toThrow(/Spark 3\.5\.5-amzn-1.*pinned to Spark 3\.5\.6/);
    try {
      releaseFor('emr-7.8.0');
    } catch (err) {
      expect((err as PlanRefusedError).fix).toMatch(/emr-7\.13\.0/);
    }
  });

  it('refuses an unknown label', () => {
    expect(() => releaseFor('emr-6.15.0')).toThrow(/not in the workbench's release table/);
  });

  it('follows the pin: with Spark 3.5.5 pinned, emr-7.13.0 is refused and emr-7.10.0 accepted', () => {
    expect(() => releaseFor('emr-7.13.0', '3.5.5')).toThrow(PlanRefusedError);
    expect(releaseFor('emr-7.10.0', '3.5.5').label).toBe('emr-7.10.0');
  });
});

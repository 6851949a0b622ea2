import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RELEASE, RELEASES, RELEASE_LABELS, describeRelease, findRelease } from '../../src/config/releases.js';
import { releaseFor } from '../../src/emr/releases.js';
import { PlanRefusedError } from '../../src/errors.js';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const versions = JSON.parse(readFileSync(path.join(ROOT, 'versions.json'), 'utf8'));

describe('the release table (versions.json releases)', () => {
  it('has the default release first, and supports a Spark 4 and a Spark 3.5 release side by side', () => {
    expect(DEFAULT_RELEASE.label).toBe(versions.defaultRelease);
    expect(RELEASES[0]).toBe(DEFAULT_RELEASE);
    expect(RELEASE_LABELS).toEqual(expect.arrayContaining(['emr-spark-8.1.0', 'emr-7.13.0']));
    expect(findRelease('emr-spark-8.1.0')).toMatchObject({ spark: '4.1.1', emrSpark: '4.1.1-amzn-0', scala: '2.13.17', hadoop: '3.4.2', python: '3.11', java: '17' });
    expect(findRelease('emr-7.13.0')).toMatchObject({ spark: '3.5.6', emrSpark: '3.5.6-amzn-2', hadoop: '3.3.4', python: '3.11', java: '17' });
  });

  it('gives every release both locks in its own folder, each pinning that release\'s pyspark', () => {
    for (const r of RELEASES) {
      for (const lock of [r.locks.runtime, r.locks.test]) {
        expect(path.dirname(lock), r.label).toBe(`pipeline/locks/${r.label}`);
        const file = path.join(ROOT, lock);
        expect(existsSync(file), file).toBe(true);
        expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`^pyspark==${r.spark.replace(/\./g, '\\.')} `, 'm'));
      }
      expect(r.emrSpark.startsWith(`${r.spark}-amzn-`), r.label).toBe(true);
      expect(r.yarnMinicluster, r.label).toBe(r.hadoop);
    }
  });

  it('describes a release in one line', () => {
    expect(describeRelease(findRelease('emr-spark-8.1.0')!)).toBe('emr-spark-8.1.0 (Spark 4.1.1, Scala 2.13.17, Python 3.11, Java 17, Hadoop 3.4.2)');
  });
});

describe('releaseFor (plans)', () => {
  it('accepts both label shapes of the table', () => {
    expect(releaseFor('emr-spark-8.1.0').spark).toBe('4.1.1');
    expect(releaseFor('emr-7.13.0').spark).toBe('3.5.6');
  });

  it('refuses a label outside the table, naming the supported ones', () => {
    expect(() => releaseFor('emr-6.15.0')).toThrow(PlanRefusedError);
    try {
      releaseFor('emr-7.10.0');
    } catch (err) {
      expect((err as PlanRefusedError).message).toMatch(/not in the workbench's release table/);
      expect((err as PlanRefusedError).fix).toContain('emr-spark-8.1.0');
      expect((err as PlanRefusedError).fix).toContain('emr-7.13.0');
    }
  });
});

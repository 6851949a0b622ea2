import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { DEFAULT_RELEASE, RELEASES } from '../../src/config/releases.js';

function withYaml(text: string) {
  const root = mkdtempSync(path.join(tmpdir(), 'wb-config-'));
  writeFileSync(path.join(root, 'workbench.yaml'), text);
  return root;
}

describe('loadConfig', () => {
  it('gives defaults when there is no file', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'wb-config-'));
    const cfg = loadConfig({ root, env: { HOME: '/home/u' } });
    expect(cfg.profileName).toBe('local');
    expect(cfg.job.weights).toEqual({ kind: 'auto', raw: 'auto' });
    expect(cfg.job.pca).toEqual({ k: 'auto', varianceThreshold: 0.95, standardize: false });
    expect(cfg.cacheDir).toBe('/home/u/.cache/fruits-workbench');
  });

  it('reports every problem at once, naming each key', () => {
    const root = withYaml('job:\n  imageSize: 7\n  weights: "random:x"\n  colour: red\nprofiles:\n  local: { kind: local, region: us-east-1 }\n');
    let err: unknown;
    try {
      loadConfig({ root, env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const keys = (err as ConfigError).problems.map((p) => p.key);
    expect(keys).toEqual(expect.arrayContaining(['job.imageSize', 'job.weights', 'job', 'profiles.local.region']));
    expect((err as ConfigError).message).toMatch(/EU region/);
    expect((err as ConfigError).message).toMatch(/colour/);
    expect((err as ConfigError).message).toMatch(/random weights take an integer seed \(fix: e\.g\. random:0\)/);
  });

  it('names the flag or env var that set a bad value', () => {
    const root = withYaml('');
    expect(() => loadConfig({ root, env: { WORKBENCH_INPUT: 'gs://b/x' }, flags: { weights: 'random:seven' } })).toThrow(
      /--weights: "random:seven": random weights take an integer seed[\s\S]*WORKBENCH_INPUT: "gs:\/\/b\/x": unsupported input URI scheme/,
    );
  });

  it('applies file, then env, then flags', () => {
    const root = withYaml('job:\n  weights: imagenet\n  input: from-file\n');
    const cfg = loadConfig({
      root,
      env: { WORKBENCH_WEIGHTS: 'random:1', WORKBENCH_INPUT: 'from-env', WORKBENCH_PROFILE: 'cluster' },
      flags: { input: 'from-flag' },
    });
    expect(cfg.job.weights).toEqual({ kind: 'random', seed: 1, raw: 'random:1' });
    expect(cfg.job.input).toEqual({ kind: 'local', dir: path.join(root, 'from-flag'), name: 'from-flag', raw: 'from-flag' });
    expect(cfg.profileName).toBe('cluster');
    expect(cfg.profile.kind).toBe('cluster');
  });

  it('refuses a non-EU region override and an unknown profile with a fix', () => {
    const root = withYaml('');
    expect(() => loadConfig({ root, env: {}, flags: { region: 'eu-west-2' } })).toThrow(/profiles\.local\.region: must be an EU region/);
    expect(() => loadConfig({ root, env: {}, flags: { profile: 'nope' } })).toThrow(/unknown profile "nope"/);
  });

  it('resolves the release: the default, the profile key, then WORKBENCH_RELEASE, then --release', () => {
    expect(loadConfig({ root: withYaml(''), env: {} }).release).toBe(DEFAULT_RELEASE);
    const other = RELEASES.find((r) => r !== DEFAULT_RELEASE)!;
    const root = withYaml(`profiles:\n  local: { kind: local, release: ${other.label} }\n`);
    expect(loadConfig({ root, env: {} }).release.label).toBe(other.label);
    expect(loadConfig({ root, env: { WORKBENCH_RELEASE: DEFAULT_RELEASE.label } }).release.label).toBe(DEFAULT_RELEASE.label);
    expect(loadConfig({ root, env: { WORKBENCH_RELEASE: DEFAULT_RELEASE.label }, flags: { release: other.label } }).release.label).toBe(other.label);
    expect(loadConfig({ root: withYaml(''), env: {}, flags: { profile: 'emr', release: 'emr-7.13.0' } }).profile).toMatchObject({ kind: 'emr', release: 'emr-7.13.0' });
  });

  it('refuses an unknown release, listing the supported ones, and names the renamed releaseLabel key', () => {
    expect(() => loadConfig({ root: withYaml(''), env: {}, flags: { release: 'emr-6.15.0' } })).toThrow(
      /profiles\.local\.release: must be a supported release: one of .*emr-spark-8\.1\.0.*emr-7\.13\.0|profiles\.local\.release: must be a supported release: one of .*emr-7\.13\.0.*emr-spark-8\.1\.0/,
    );
    expect(() => loadConfig({ root: withYaml('profiles:\n  emr: { kind: emr, releaseLabel: emr-7.13.0 }\n'), env: {} })).toThrow(/rename releaseLabel to release/);
  });

  it('refuses a release left out on purpose with the reason and what to use instead (emr-7.14.0)', () => {
    expect(() => loadConfig({ root: withYaml(''), env: {}, flags: { release: 'emr-7.14.0' } })).toThrow(
      /profiles\.local\.release: emr-7\.14\.0 is not supported: its exact Spark 3\.5 patch could not be confirmed.*emr-7\.13\.0 \(Spark 3\.5\.6\) stands for EMR 7; use one of /,
    );
  });

  it('takes a budget override on both cloud profiles and refuses it on a local one', () => {
    const root = withYaml('profiles:\n  local: { kind: local }\n  emr: { kind: emr }\n  serverless: { kind: serverless }\n');
    expect(loadConfig({ root, env: { WORKBENCH_BUDGET_EUR: '3' }, flags: { profile: 'serverless' } }).profile).toMatchObject({ kind: 'serverless', budgetEur: 3 });
    expect(loadConfig({ root, env: {}, flags: { profile: 'emr', budgetEur: '4' } }).profile).toMatchObject({ kind: 'emr', budgetEur: 4 });
    expect(() => loadConfig({ root, env: {}, flags: { profile: 'local', budgetEur: '4' } })).toThrow(/only a cloud profile \(emr, serverless\) has a budget/);
  });

  it('reports YAML syntax errors with the file name', () => {
    const root = withYaml('job: [unclosed\n');
    expect(() => loadConfig({ root, env: {} })).toThrow(/workbench\.yaml/);
  });
});

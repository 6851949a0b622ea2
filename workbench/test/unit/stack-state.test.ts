import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { loadOrCreateCredentials } from '../../src/stack/credentials.js';
import { shapeOf } from '../../src/stack/index.js';
import { DEFAULT_RELEASE, RELEASES } from '../../src/config/releases.js';
import { readState, removeState, sameShape, statePath, writeState, type StackState } from '../../src/stack/state.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function stateDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'wb-state-'));
  dirs.push(d);
  return path.join(d, '.workbench');
}

const state: StackState = {
  schemaVersion: 1,
  backend: 'native',
  profileName: 'cluster',
  shape: { kind: 'cluster', region: 'eu-west-3', bucket: 'fruits-workbench', release: 'emr-7.13.0', workers: 2, workerCores: 1, workerMemory: '3g' },
  kept: true,
  startedAt: '2026-11-25T20:00:00.000Z',
  credentialsFile: '/x/.workbench/credentials.json',
  s3: { endpoint: 'http://127.0.0.1:40001', region: 'eu-west-3', bucket: 'fruits-workbench' },
  sparkMaster: 'spark://127.0.0.1:40003',
  sparkUi: 'http://127.0.0.1:40004',
  services: [{ name: 'minio', pid: 1234, endpoints: { s3: 'http://127.0.0.1:40001' }, logFile: '/x/minio.log', marker: '/x/minio-data' }],
};

describe('stack state file', () => {
  it('round-trips, private (0600) and without temp files left', () => {
    const dir = stateDir();
    writeState(dir, state);
    expect(readState(dir)).toEqual(state);
    expect(statSync(statePath(dir)).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['stack.json']);
    removeState(dir);
    expect(readState(dir)).toBeUndefined();
    removeState(dir); // idempotent
  });

  it('treats a corrupt or foreign file as no state', () => {
    const dir = stateDir();
    writeState(dir, state);
    writeFileSync(statePath(dir), '{ not json');
    expect(readState(dir)).toBeUndefined();
    writeFileSync(statePath(dir), JSON.stringify({ schemaVersion: 99 }));
    expect(readState(dir)).toBeUndefined();
  });

  it('compares shapes by value', () => {
    expect(sameShape(state.shape, { ...state.shape })).toBe(true);
    expect(sameShape(state.shape, { ...state.shape, workers: 3 })).toBe(false);
    expect(sameShape(state.shape, { ...state.shape, region: 'eu-central-1' })).toBe(false);
    // Another release's Spark: the kept master and workers cannot run its jobs, so it is replaced.
    expect(sameShape(state.shape, { ...state.shape, release: 'emr-spark-8.1.0' })).toBe(false);
  });
});

describe('stack credentials', () => {
  it('are generated once per state folder, kept with mode 0600, and strong enough for MinIO', () => {
    const dir = stateDir();
    const first = loadOrCreateCredentials(dir);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    expect(first.credentials.secretAccessKey.length).toBeGreaterThanOrEqual(8);
    expect(first.credentials.accessKeyId).not.toBe('minioadmin');
    expect(loadOrCreateCredentials(dir).credentials).toEqual(first.credentials);
    const other = loadOrCreateCredentials(stateDir());
    expect(other.credentials.secretAccessKey).not.toBe(first.credentials.secretAccessKey);
  });

  it('replaces an unusable credentials file', () => {
    const dir = stateDir();
    const { file } = loadOrCreateCredentials(dir);
    writeFileSync(file, JSON.stringify({ accessKeyId: 'a', secretAccessKey: 'short' }));
    expect(loadOrCreateCredentials(dir).credentials.secretAccessKey.length).toBeGreaterThanOrEqual(8);
    expect(existsSync(file)).toBe(true);
  });
});

describe('shapeOf', () => {
  // A root without workbench.yaml: the schema's defaults, whatever the repo's own config says.
  const root = path.join(tmpdir(), 'wb-no-such-root'); // never created: loadConfig only looks for workbench.yaml
  const cfg = (profile: string) => loadConfig({ root, env: {}, flags: { profile } });

  it('local profile: MinIO only', () => {
    expect(shapeOf(cfg('local'))).toEqual({ kind: 'local', region: 'eu-west-3', bucket: 'fruits-workbench', release: DEFAULT_RELEASE.label, workers: 0, workerCores: 0, workerMemory: '' });
  });

  it('carries the release: --release gives another shape', () => {
    const other = RELEASES.find((r) => r !== DEFAULT_RELEASE)!.label;
    const c = loadConfig({ root, env: {}, flags: { profile: 'local', release: other } });
    expect(shapeOf(c).release).toBe(other);
    expect(sameShape(shapeOf(c), shapeOf(cfg('local')))).toBe(false);
  });

  it('cluster profile: workers from the profile', () => {
    expect(shapeOf(cfg('cluster'))).toMatchObject({ kind: 'cluster', workers: 2, workerCores: 1, workerMemory: '3g' });
  });

  it('refuses an emr profile, naming the key', () => {
    const c = cfg('local');
    const emr = { ...c, profileName: 'emr', profile: { kind: 'emr', region: 'eu-west-3' } } as unknown as typeof c;
    expect(() => shapeOf(emr)).toThrow(ConfigError);
  });
});

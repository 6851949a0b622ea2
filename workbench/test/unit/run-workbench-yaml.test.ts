import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('the real workbench.yaml', () => {
  it('validates, with the four profiles in the EU', () => {
    const cfg = loadConfig({ root: ROOT, env: { HOME: '/home/u' } });
    expect(Object.keys(cfg.profiles).sort()).toEqual(['cluster', 'emr', 'local', 'serverless']);
    expect(cfg.profiles.serverless).toMatchObject({ kind: 'serverless', region: 'eu-west-3' });
    expect(cfg.profiles.emr).toMatchObject({ kind: 'emr', region: 'eu-west-3' });
    expect(cfg.profileName).toBe('local');
    expect(cfg.job.input).toMatchObject({ kind: 'local', raw: 'sample-data/fruits-synthetic', name: 'fruits-synthetic' });
  });

  it('loads every profile', () => {
    for (const profile of ['local', 'cluster', 'emr', 'serverless']) {
      expect(loadConfig({ root: ROOT, env: {}, flags: { profile } }).profile.kind).toBe(profile);
    }
  });
});

/**
 * The critical review's "cost per million images" and promote.md's small-run forecast come from the plan's own
 * forecast (emrForecaster) when a throughput profile is committed, and say plainly what they are without one.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { costPerMillion } from '../../src/docs/figures/per-million.js';
import { promoteCost } from '../../src/docs/figures/cost.js';
import { repoSources } from '../../src/docs/sources.js';
import { emrForecaster } from '../../src/emr/plan.js';
import { WORKER_PEAK_RSS_MB_BY_ENGINE } from '../../src/emr/sizing.js';
import { THROUGHPUT_PROFILE_FILE } from '../../src/forecast/profile.js';
import { testProfile } from './forecast-fixtures.js';

const REPO = path.resolve(import.meta.dirname, '..', '..', '..');

describe('forecast figures in the docs', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'docs-forecast-'));
    cpSync(path.join(REPO, 'workbench.yaml'), path.join(root, 'workbench.yaml'));
    mkdirSync(path.join(root, 'bench-results'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('gives the cost per million images the plan forecasts, with the table and the assumptions', () => {
    writeFileSync(path.join(root, THROUGHPUT_PROFILE_FILE), JSON.stringify(testProfile));
    const sources = repoSources(root);
    const p = sources.emrProfile();
    const engine = sources.engine();
    const million = emrForecaster(p, testProfile, engine, WORKER_PEAK_RSS_MB_BY_ENGINE[engine])(p.core.count, 1_000_000);
    const text = costPerMillion(sources);
    expect(text).toContain(`**${((million.totalEur / 1e6) * 1e6).toFixed(2)} EUR per million images**`);
    expect(text).toMatch(/\| 10,000,000 \|/);
    expect(text).toContain('Test CPU');
    expect(promoteCost(sources)).toMatch(/10,000 images, for example, are forecast at [\d.]+ min of cluster time/);
  });

  it('without a throughput profile, says the figure is featurization alone, or that it cannot be computed', () => {
    const sources = repoSources(root);
    expect(costPerMillion(sources)).toMatch(/^Not computable in this clone yet/);
    cpSync(path.join(REPO, 'bench-results', 'featurize.json'), path.join(root, 'bench-results', 'featurize.json'));
    expect(costPerMillion(repoSources(root))).toMatch(/^No throughput profile is committed .* so this is featurization alone/);
    expect(promoteCost(repoSources(root))).not.toContain('forecast at');
  });

  it('refuses a malformed throughput profile, naming the file and the command that rebuilds it', () => {
    writeFileSync(path.join(root, THROUGHPUT_PROFILE_FILE), JSON.stringify({ ...testProfile, fixedSeconds: -1 }));
    expect(() => costPerMillion(repoSources(root))).toThrow(/bench-results\/throughput-profile.json cannot be cited/);
  });
});

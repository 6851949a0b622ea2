/**
 * Parity on real outputs of the PySpark job (spark-submit, local mode, file:// folders, random weights so no
 * download is needed) over a small subset of the shared sample: two runs with identical settings pass; other
 * weights, another resize interpolation, another k and one image removed each fail on the right check. With
 * --all-layers the data layers confirm it: features differ for other weights and interpolation, not for another k.
 *
 * Six job runs, two at a time (local[1] each); about 4-5 minutes on an idle 2-core machine.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParityCommand } from '../../src/commands/parity.js';
import type { CommandContext } from '../../src/commands/types.js';
import { loadConfig } from '../../src/config/load.js';
import { ParitySchema } from '../../src/config/schema.js';
import { ParityError } from '../../src/errors.js';
import { packArtifact, type Artifact } from '../../src/job/artifact.js';
import { ResourceStack } from '../../src/lifecycle.js';
import { compareRuns, type Comparison } from '../../src/parity/compare.js';
import { loadRun } from '../../src/outputs/load-run.js';
import { buildReport, writeReport } from '../../src/parity/report.js';
import type { RunData } from '../../src/outputs/run-data.js';
import { openRunSource } from '../../src/outputs/source.js';
import { findJobTools, runLocalJob, type JobTools, type LocalJobRun } from '../fixtures/parity/local-job.js';
import { linesOutput } from '../../src/terminal/index.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PER_CLASS = 2;
const REMOVED = 'Apple Braeburn/';
const tools = await findJobTools(REPO_ROOT, process.env);
const skip = 'skip' in tools ? tools.skip : undefined;
const tolerances = ParitySchema.parse({});

describe.skipIf(skip !== undefined)(`parity on real job runs${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const work = mkdtempSync(path.join(tmpdir(), 'parity-real-'));
  const controller = new AbortController();
  const runs: Record<string, RunData> = {};
  let removedKey = '';

  beforeAll(async () => {
    const t = tools as JobTools;
    // A small input: the first PER_CLASS images of every class; and the same minus one image.
    const full = path.join(work, 'input-full');
    const classes = readdirSync(t.sampleDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    for (const cls of classes) {
      mkdirSync(path.join(full, cls), { recursive: true });
      for (const f of readdirSync(path.join(t.sampleDir, cls)).sort().slice(0, PER_CLASS)) cpSync(path.join(t.sampleDir, cls, f), path.join(full, cls, f));
    }
    const less = path.join(work, 'input-less-one');
    cpSync(full, less, { recursive: true });
    const victimClass = classes.find((c) => `${c}/`.startsWith(REMOVED)) ?? classes[0]!;
    const victim = readdirSync(path.join(less, victimClass)).sort()[0]!;
    rmSync(path.join(less, victimClass, victim));
    removedKey = `${victimClass}/${victim}`;

    const artifact: Artifact = await packArtifact(REPO_ROOT, path.join(work, 'artifact'), loadConfig({ root: REPO_ROOT, env: process.env }).release);
    const base = { tools: t, artifact, input: full, weights: 'random:1', signal: controller.signal, job: { pca: { k: 5 } } };
    const plans: Record<string, Omit<LocalJobRun, 'output' | 'runId'>> = {
      base,
      same: base,
      weights2: { ...base, weights: 'random:2' },
      nearest: { ...base, job: { ...base.job, interpolation: 'nearest' } },
      k6: { ...base, job: { pca: { k: 6 } } },
      removed: { ...base, input: less },
    };
    const names = Object.keys(plans);
    mkdirSync(path.join(work, 'out'));
    for (let i = 0; i < names.length; i += 2) {
      await Promise.all(
        names.slice(i, i + 2).map((name) => runLocalJob({ ...plans[name]!, output: path.join(work, 'out', name), runId: `parity-it-${name}` })),
      );
    }
    for (const name of names) runs[name] = await loadRun(openRunSource(path.join(work, 'out', name)));
  });

  afterAll(() => {
    controller.abort();
    if (process.env.PARITY_IT_KEEP) console.info(`parity integration: outputs and reports kept in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  });

  /** Compares base with run `b`; the JSON report lands in the work folder (kept with PARITY_IT_KEEP=1). */
  const compare = (b: string, allLayers = false): Comparison => {
    const c = compareRuns(runs.base!, runs[b]!, tolerances, { allLayers });
    writeReport(path.join(work, `parity-base-vs-${b}${allLayers ? '-all' : ''}.json`), buildReport(runs.base!, runs[b]!, c, tolerances));
    return c;
  };
  const failing = (c: Comparison) => c.checks.filter((r) => r.status === 'fail').map((r) => r.name);
  const check = (c: Comparison, name: string) => c.checks.find((r) => r.name === name)!;

  it('two runs with identical settings pass every check', () => {
    const c = compare('same');
    expect(failing(c)).toEqual([]);
    expect(c.checks.filter((r) => r.status === 'skip')).toEqual([]);
    expect(check(c, 'provenance.artifact').status).toBe('pass');
    expect(check(c, 'features.max-abs').measured as number).toBeLessThanOrEqual(tolerances.featureMaxAbs);
    expect(check(c, 'pca.axes').measured as number).toBeGreaterThanOrEqual(tolerances.axisCosineMin);
  });

  it('other weights (random:1 vs random:2) fail on provenance.weights, and the features differ', () => {
    expect(failing(compare('weights2'))).toEqual(['provenance.weights']);
    // Random weights give features around 1e-8, so the absolute max-abs tolerance only warns; the cosine decides.
    expect(failing(compare('weights2', true))).toEqual(expect.arrayContaining(['provenance.weights', 'features.cosine', 'pca.axes']));
  });

  it('another resize interpolation fails on provenance.job-settings, and the features differ', () => {
    const c = compare('nearest');
    expect(failing(c)).toEqual(['provenance.job-settings']);
    expect(check(c, 'provenance.job-settings').detail).toBe('interpolation: "bilinear" vs "nearest"');
    expect(failing(compare('nearest', true))).toEqual(expect.arrayContaining(['provenance.job-settings', 'features.cosine']));
  });

  it('another k (5 vs 6) fails on provenance.pca-settings and pca.k, with identical features', () => {
    expect(failing(compare('k6'))).toEqual(['provenance.pca-settings']);
    const all = compare('k6', true);
    expect(failing(all)).toEqual(['provenance.pca-settings', 'pca.k']);
    expect(check(all, 'features.max-abs')).toMatchObject({ status: 'pass', measured: 0 });
    expect(check(all, 'pca.axes').status).toBe('pass');
  });

  it('one image removed fails on provenance.input-set, naming the image', () => {
    const c = compare('removed');
    expect(failing(c)).toEqual(['provenance.input-set']);
    expect(check(c, 'provenance.input-set').items).toEqual([`only in A: ${removedKey}`]);
    expect(failing(compare('removed', true))).toEqual(expect.arrayContaining(['provenance.input-set', 'keys.features']));
  });

  it('the command compares file:// outputs, writes the report beside them and exits with ParityError', async () => {
    const out = path.join(work, 'out');
    const ctx: CommandContext = {
      signal: controller.signal,
      stack: new ResourceStack(),
      out: linesOutput(() => {}),
      env: {},
      root: work,
      loadConfig: () => loadConfig({ root: work, env: { HOME: work } }),
    };
    const command = createParityCommand({ produceRun: () => Promise.reject(new Error('not used')), s3ClientFor: () => { throw new Error('not used'); } });
    const operands = [pathToFileURL(path.join(out, 'base')).href, pathToFileURL(path.join(out, 'weights2')).href];
    await expect(command.run({ options: {}, operands }, ctx)).rejects.toBeInstanceOf(ParityError);
    expect(readdirSync(out)).toContain('parity-parity-it-base-vs-parity-it-weights2.json');
  });
});

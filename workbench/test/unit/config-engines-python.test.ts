/**
 * The engine list is written twice, in config/schema.ts (what the config accepts) and in the pipeline's
 * engines.py (what the job runs): this test ties them, by asking the job's own module with the project's
 * python. `python -m fruits_pipeline.engines --list` is the job's published list; the precisions, the supported
 * pairs and the defaults are read from the same module. Imports no engine runtime (about 0.3 s).
 */
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE, DEFAULT_IMAGES_PER_TASK, ENGINES, PRECISIONS, SUPPORTED_PRECISIONS } from '../../src/config/schema.js';
import { loadConfig } from '../../src/config/load.js';
import { projectPython, REPO_ROOT } from '../helpers/project-python.js';

const py = projectPython();
// Under CI the venv is built first (make test): a missing python is then a failure, not a skip.
const skip = py.python === undefined && process.env.CI !== 'true';

function python(args: string[]): string {
  return execFileSync(py.python!, args, { env: { ...process.env, PYTHONPATH: path.join(REPO_ROOT, 'pipeline', 'src') }, encoding: 'utf8' }).trim();
}

describe.skipIf(skip)(`the engine list matches the pipeline's (${py.reason ?? py.python})`, () => {
  it('python -m fruits_pipeline.engines --list gives the config\'s engines, in order', () => {
    expect(py.python, py.reason).toBeDefined();
    expect(JSON.parse(python(['-m', 'fruits_pipeline.engines', '--list']))).toEqual([...ENGINES]);
  });

  it('precisions, supported pairs and defaults agree too', () => {
    const code =
      'import json; from fruits_pipeline import engines as e; ' +
      'print(json.dumps({"precisions": list(e.PRECISIONS), "supported": {k: list(v) for k, v in e.SUPPORTED_PRECISIONS.items()}, ' +
      '"engine": e.DEFAULT_ENGINE, "precision": e.DEFAULT_PRECISION}))';
    const job = JSON.parse(python(['-c', code])) as { precisions: string[]; supported: Record<string, string[]>; engine: string; precision: string };
    expect(job.precisions).toEqual([...PRECISIONS]);
    expect(job.supported).toEqual(Object.fromEntries(Object.entries(SUPPORTED_PRECISIONS).map(([k, v]) => [k, [...v]])));
    expect(job.engine).toBe(DEFAULT_ENGINE);
    const defaults = loadConfig({ root: path.join(REPO_ROOT, 'nonexistent-root'), env: {} }).job;
    expect(defaults.engine).toBe(job.engine);
    expect(defaults.precision).toBe(job.precision);
  });
});

describe.skipIf(skip)(`the default images per task matches the pipeline's (${py.reason ?? py.python})`, () => {
  it('task_sizing.DEFAULT_IMAGES_PER_TASK is the config default the forecast and the job arguments use', () => {
    const job = Number(python(['-c', 'from fruits_pipeline.task_sizing import DEFAULT_IMAGES_PER_TASK as n; print(n)']));
    expect(job).toBe(DEFAULT_IMAGES_PER_TASK);
    expect(loadConfig({ root: path.join(REPO_ROOT, 'nonexistent-root'), env: {} }).job.imagesPerTask).toBe(job);
  });
});

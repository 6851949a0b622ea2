/** The by-hand recipe docs/job-contract.md gives for the artifact sha256 reproduces the workbench's own hash. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { artifactRecipe } from '../../src/docs/figures/artifact.js';
import { packArtifact } from '../../src/job/artifact.js';
import { DEFAULT_RELEASE } from '../../src/config/releases.js';

const REPO = path.resolve(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'artifact-recipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('artifact sha256 recipe', () => {
  it('run in a shell on the packed artifact, gives the sha256 the workbench computes', async () => {
    const artifact = await packArtifact(REPO, dir, DEFAULT_RELEASE);
    const recipe = artifactRecipe()
      .split('\n')
      .find((l) => l.startsWith('(cd DIR'));
    expect(recipe).toBeDefined();
    const out = execFileSync('sh', ['-c', recipe!.replace('DIR', JSON.stringify(dir))], { encoding: 'utf8' });
    expect(out.split(/\s+/)[0]).toBe(artifact.sha256);
  });
});

/**
 * Notebooks are committed without outputs (the executed copies go to runs/notebooks/, which git ignores): every
 * .ipynb under notebooks/ has empty outputs and no execution counts, so diffs stay readable and no output (a
 * path, an endpoint) is ever committed. Also: the notebook imports the job's package instead of copying it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { perClassSubset } from '../../src/targets/notebook.js';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const dir = path.join(ROOT, 'notebooks');
const notebooks = readdirSync(dir).filter((f) => f.endsWith('.ipynb'));

interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: unknown[];
  execution_count?: number | null;
}

describe('committed notebooks', () => {
  it('include the walkthrough', () => {
    expect(notebooks).toContain('fruits-pipeline.ipynb');
  });

  it.each(notebooks)('%s has no outputs and no execution counts', (name) => {
    const nb = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as { cells: Cell[] };
    const code = nb.cells.filter((c) => c.cell_type === 'code');
    expect(code.length).toBeGreaterThan(0);
    for (const [i, c] of code.entries()) {
      expect(c.outputs, `code cell ${i}`).toEqual([]);
      expect(c.execution_count ?? null, `code cell ${i}`).toBeNull();
    }
  });

  it('imports fruits_pipeline rather than defining the job', () => {
    const nb = JSON.parse(readFileSync(path.join(dir, 'fruits-pipeline.ipynb'), 'utf8')) as { cells: Cell[] };
    const source = nb.cells.map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source)).join('\n');
    for (const mod of ['images', 'preprocess', 'model', 'features', 'pca', 'outputs']) expect(source).toContain(`from fruits_pipeline.${mod} import`);
    expect(source).toContain('sc.broadcast(');
    expect(source).not.toMatch(/def (featurize|read_images|fit_pca)\(/);
    expect(source).not.toMatch(/secretAccessKey["']\]\s*\)|print\([^)]*secret/i);
  });
});

describe('notebook input subset', () => {
  it('takes the first N images of every class, in name order', () => {
    const f = (relPath: string) => ({ relPath, absPath: `/x/${relPath}`, size: 1, md5: '' });
    const files = ['B/2.jpg', 'A/3.jpg', 'A/1.jpg', 'B/1.jpg', 'A/2.jpg', 'top.jpg'].map(f);
    expect(perClassSubset(files, 2).map((x) => x.relPath)).toEqual(['A/1.jpg', 'A/2.jpg', 'B/1.jpg', 'B/2.jpg', 'top.jpg']);
  });
});

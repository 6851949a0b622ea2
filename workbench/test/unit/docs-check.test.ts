/**
 * `npm run docs -- --check` on a copy of the repo's docs and sources: editing a figure by hand makes the check
 * fail, naming the file, block and line; regenerating makes it pass. And the repo itself must be clean.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderDocs } from '../../src/docs/check.js';
import { DOCS_WITH_FIGURES } from '../../src/docs/registry.js';
import { repoSources } from '../../src/docs/sources.js';

const REPO = path.resolve(import.meta.dirname, '..', '..', '..');

function copyRepoDocs(to: string): void {
  for (const f of [...Object.keys(DOCS_WITH_FIGURES), 'workbench.yaml']) {
    mkdirSync(path.dirname(path.join(to, f)), { recursive: true });
    cpSync(path.join(REPO, f), path.join(to, f));
  }
  if (existsSync(path.join(REPO, 'bench-results'))) cpSync(path.join(REPO, 'bench-results'), path.join(to, 'bench-results'), { recursive: true });
}

const check = (root: string) => renderDocs(root, repoSources(root));
const regenerate = (root: string) => {
  for (const d of check(root).docs) if (d.after !== undefined) writeFileSync(path.join(root, d.file), d.after);
};

describe('npm run docs -- --check', () => {
  it("passes on the repository's committed docs and sources", () => {
    const { problems } = check(REPO);
    expect(problems.map((p) => `${p.file}:${p.line ?? ''} ${p.message}`)).toEqual([]);
  });

  describe('on a copy', () => {
    let root: string;
    beforeEach(() => {
      root = mkdtempSync(path.join(tmpdir(), 'docs-check-'));
      copyRepoDocs(root);
      regenerate(root);
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it('fails when a figure in a block is edited by hand, naming file, block and line; regenerating fixes it', () => {
      expect(check(root).problems).toEqual([]);
      const file = path.join(root, 'docs/promote.md');
      const text = readFileSync(file, 'utf8');
      const edited = text.replace(/(<!-- figures:promote-cost -->\n.*?)(\d+\.\d\d) EUR per hour/s, (_m, head: string) => `${head}9.99 EUR per hour`);
      expect(edited).not.toBe(text);
      writeFileSync(file, edited);

      const { problems } = check(root);
      expect(problems).toHaveLength(1);
      const line = edited.split('\n').findIndex((l) => l.includes('9.99 EUR per hour')) + 1;
      expect(problems[0]).toMatchObject({ file: 'docs/promote.md', block: 'promote-cost', line });
      expect(problems[0]!.message).toMatch(/disagrees with its source:\n {4}- .*9\.99 EUR per hour.*\n {4}\+ .*EUR per hour/);

      regenerate(root);
      expect(check(root).problems).toEqual([]);
      expect(readFileSync(file, 'utf8')).toBe(text);
    });

    it('fails when a generated figure is copied into prose outside every block', () => {
      const file = path.join(root, 'docs/critical-review.md');
      const block = /<!-- figures:emr-cost -->\n[^]*?\| (\d+\.\d\d) \|/.exec(readFileSync(file, 'utf8'));
      const eurPerHour = block![1]!;
      writeFileSync(file, `${readFileSync(file, 'utf8')}\nThe cluster costs ${eurPerHour} EUR an hour.\n`);
      const { problems } = check(root);
      expect(problems).toHaveLength(1);
      expect(problems[0]!.file).toBe('docs/critical-review.md');
      expect(problems[0]!.message).toContain(`"${eurPerHour} EUR" is typed by hand outside a figures block`);
    });

    it('fails on a missing required block and on an unknown one', () => {
      const file = path.join(root, 'docs/promote.md');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/<!-- figures:promote-cost -->[^]*<!-- \/figures:promote-cost -->/, '<!-- figures:promote-costs -->\n<!-- /figures:promote-costs -->'));
      const messages = check(root).problems.map((p) => p.message);
      expect(messages).toEqual(expect.arrayContaining([expect.stringContaining('"promote-cost" is missing'), expect.stringContaining('unknown figures block "promote-costs"')]));
    });

    it('refuses to cite a bench result without its machine and date, and says how to add them', () => {
      mkdirSync(path.join(root, 'bench-results'), { recursive: true });
      const file = path.join(root, 'bench-results', 'docker.json');
      writeFileSync(file, JSON.stringify({ images: 390, native: { total_s: 10, command_s: 20 }, docker: { total_s: 11, command_s: 25 }, ratios: { native_vs_docker: 0.909 } }));
      const problems = check(root).problems.filter((p) => p.block === 'bench-summary');
      expect(problems).toHaveLength(1);
      expect(problems[0]!.message).toMatch(/bench-results\/docker.json cannot be cited: (measured_at|machine)/);
      expect(problems[0]!.fix).toContain('npm run docs -- --stamp bench-results/docker.json');
    });
  });
});

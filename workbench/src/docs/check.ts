/**
 * Renders every figure block of every doc from its source, and says what disagrees: `npm run docs` writes the
 * result, `npm run docs -- --check` only reports. Reads files; writes nothing (the command does).
 *
 * Besides the blocks themselves, a cheap guard against copies: a figure a generator renders (a ratio like
 * `0.968x`, seconds or EUR with decimals, MiB) that also appears in a doc's prose, outside every block, was
 * typed by hand and will go stale; it is reported with its line.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BlockSyntaxError, firstDifference, parseBlocks, proseLines, replaceBlocks } from './blocks.js';
import { DOCS_WITH_FIGURES, GENERATORS, type Generator } from './registry.js';
import { FigureSourceError, type FigureSources } from './sources.js';

export interface DocProblem {
  file: string;
  block?: string;
  /** 1-based line in the doc. */
  line?: number;
  message: string;
  fix: string;
}

export interface RenderedDoc {
  file: string;
  before: string;
  /** The doc with every block regenerated (a block that cannot be rendered is kept as is); equal to `before` when nothing is stale. Undefined when the markers are malformed. */
  after?: string;
}

/** Figures worth guarding: ratios, decimal seconds/EUR/rates, MiB. Small integers ("2 cores", "60 min") are too common to guard. */
const FIGURE = /\b\d[\d,]*\.\d+x\b|\b\d[\d,]*\.\d+ (?:s|EUR|images\/s)\b|\b\d[\d,]{2,} MiB\b/g;
export const figuresIn = (text: string): string[] => text.match(FIGURE) ?? [];

export interface DocsOptions {
  docs?: Record<string, string[]>;
  generators?: Record<string, Generator>;
}

export function renderDocs(root: string, sources: FigureSources, o: DocsOptions = {}): { docs: RenderedDoc[]; problems: DocProblem[] } {
  const docs = o.docs ?? DOCS_WITH_FIGURES;
  const generators = o.generators ?? GENERATORS;
  const problems: DocProblem[] = [];
  const rendered = new Map<string, string>();
  const render = (file: string, name: string, line: number): string | undefined => {
    if (rendered.has(name)) return rendered.get(name);
    const gen = generators[name];
    if (!gen) {
      problems.push({ file, block: name, line, message: `unknown figures block "${name}"`, fix: `use one of ${Object.keys(generators).join(', ')}, or add a generator to workbench/src/docs/registry.ts` });
      return undefined;
    }
    try {
      const body = gen(sources).replace(/\n+$/, '');
      rendered.set(name, body);
      return body;
    } catch (err) {
      if (!(err instanceof FigureSourceError)) throw err;
      problems.push({ file, block: name, line, message: err.message, fix: err.fix });
      return undefined;
    }
  };

  const out: RenderedDoc[] = [];
  for (const [file, required] of Object.entries(docs)) {
    const before = readFileSync(path.join(root, file), 'utf8');
    let blocks;
    try {
      blocks = parseBlocks(before);
    } catch (err) {
      if (!(err instanceof BlockSyntaxError)) throw err;
      problems.push({ file, message: err.message, fix: 'correct the marker by hand, then run `npm run docs`' });
      out.push({ file, before });
      continue;
    }
    for (const name of required) {
      if (!blocks.some((b) => b.name === name)) {
        problems.push({ file, block: name, message: `the figures block "${name}" is missing`, fix: `put <!-- figures:${name} --> and <!-- /figures:${name} --> back where the figures belong, then run \`npm run docs\`` });
      }
    }
    for (const b of blocks) {
      const expected = render(file, b.name, b.openLine + 1);
      if (expected === undefined) continue;
      const diff = firstDifference(b.body, expected);
      if (diff) {
        const [actual, expectedText] = around(diff.actual, diff.expected);
        problems.push({
          file,
          block: b.name,
          line: b.openLine + 1 + diff.line,
          message: `block "${b.name}" disagrees with its source:\n    - ${actual}\n    + ${expectedText}`,
          fix: 'run `npm run docs` (and commit the result); edit the source, not the block',
        });
      }
    }
    // A block whose source cannot be used keeps its current text (its problem is reported above).
    out.push({ file, before, after: replaceBlocks(before, (b) => rendered.get(b.name) ?? b.body) });
  }

  // Figures that the blocks render, typed again in prose.
  const known = new Set([...rendered.values()].flatMap(figuresIn));
  for (const doc of out) {
    let prose;
    try {
      prose = proseLines(doc.before);
    } catch {
      continue; // already reported
    }
    for (const l of prose) {
      for (const fig of figuresIn(l.text)) {
        if (known.has(fig)) {
          problems.push({ file: doc.file, line: l.line, message: `the figure "${fig}" is typed by hand outside a figures block: ${l.text.trim().slice(0, 100)}`, fix: 'quote it from a block (or refer to the block) instead of copying it' });
        }
      }
    }
  }
  return { docs: out, problems };
}

/** Long lines (a generated sentence) cut to a window around their first differing character, so the diff reads at a glance. */
function around(a: string, b: string, width = 60): [string, string] {
  if (a.length <= 2 * width && b.length <= 2 * width) return [a, b];
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const cut = (t: string) => `${i > width ? '...' : ''}${t.slice(Math.max(0, i - width), i + width)}${t.length > i + width ? '...' : ''}`;
  return [cut(a), cut(b)];
}

export const formatProblem = (p: DocProblem) =>
  `${p.file}${p.line ? `:${p.line}` : ''}${p.block ? ` [${p.block}]` : ''}: ${p.message}\n    fix: ${p.fix}`;

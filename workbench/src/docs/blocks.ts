/**
 * Marked figure blocks in Markdown: `<!-- figures:NAME -->` ... `<!-- /figures:NAME -->`, each marker on a line
 * of its own. What lies between the markers belongs to the generator NAME (docs/registry.ts) and is replaced
 * whole by `npm run docs`; the rest of the file is prose and is never touched. Pure: text in, text out.
 *
 * Why HTML comments: they are invisible on GitHub and in any Markdown renderer, so a reader sees only the table.
 */

export interface Block {
  name: string;
  /** 0-based line index of the opening marker. */
  openLine: number;
  /** 0-based line index of the closing marker. */
  closeLine: number;
  /** The lines strictly between the markers, joined with '\n' (no trailing newline). */
  body: string;
}

export class BlockSyntaxError extends Error {}

const OPEN = /^\s*<!--\s*figures:([a-z0-9-]+)\s*-->\s*$/;
const CLOSE = /^\s*<!--\s*\/figures:([a-z0-9-]+)\s*-->\s*$/;
/** Anything that looks like a marker but is not one of the two exact forms: refused, so a typo is never skipped silently. */
const LOOSE = /<!--\s*\/?\s*figures\b/;

/** The blocks of `text`, in order. Throws BlockSyntaxError (with the 1-based line) on a malformed, nested or unclosed marker. */
export function parseBlocks(text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  let open: { name: string; line: number } | undefined;
  lines.forEach((line, i) => {
    const o = OPEN.exec(line);
    const c = CLOSE.exec(line);
    if (o) {
      if (open) throw new BlockSyntaxError(`line ${i + 1}: block "${o[1]}" opens inside block "${open.name}" (line ${open.line + 1})`);
      open = { name: o[1]!, line: i };
    } else if (c) {
      if (!open) throw new BlockSyntaxError(`line ${i + 1}: closing marker of "${c[1]}" without an opening one`);
      if (c[1] !== open.name) throw new BlockSyntaxError(`line ${i + 1}: closes "${c[1]}" but "${open.name}" (line ${open.line + 1}) is open`);
      blocks.push({ name: open.name, openLine: open.line, closeLine: i, body: lines.slice(open.line + 1, i).join('\n') });
      open = undefined;
    } else if (LOOSE.test(line)) {
      throw new BlockSyntaxError(`line ${i + 1}: malformed figures marker ${JSON.stringify(line.trim())} (use <!-- figures:NAME --> and <!-- /figures:NAME --> on lines of their own)`);
    }
  });
  if (open) throw new BlockSyntaxError(`line ${open.line + 1}: block "${open.name}" is never closed (add <!-- /figures:${open.name} -->)`);
  return blocks;
}

/** `text` with every block's body replaced by `render(block)`; markers and prose unchanged. */
export function replaceBlocks(text: string, render: (block: Block) => string): string {
  const blocks = parseBlocks(text);
  const lines = text.split('\n');
  // From the last block backwards, so earlier line indexes stay valid.
  for (const b of [...blocks].reverse()) {
    const body = render(b).replace(/\n+$/, '');
    lines.splice(b.openLine + 1, b.closeLine - b.openLine - 1, ...(body === '' ? [] : body.split('\n')));
  }
  return lines.join('\n');
}

/** The lines of `text` outside every block, with their 1-based line numbers (markers excluded). */
export function proseLines(text: string): { line: number; text: string }[] {
  const blocks = parseBlocks(text);
  const inside = new Set<number>();
  for (const b of blocks) for (let i = b.openLine; i <= b.closeLine; i++) inside.add(i);
  return text
    .split('\n')
    .map((t, i) => ({ line: i + 1, text: t }))
    .filter((l) => !inside.has(l.line - 1));
}

/** The first line where two bodies differ, for a one-line diff in the check's message. */
export function firstDifference(actual: string, expected: string): { line: number; actual: string; expected: string } | undefined {
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) return { line: i + 1, actual: a[i] ?? '(nothing)', expected: e[i] ?? '(nothing)' };
  }
  return undefined;
}

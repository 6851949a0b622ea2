import { describe, expect, it } from 'vitest';
import { BlockSyntaxError, firstDifference, parseBlocks, proseLines, replaceBlocks } from '../../src/docs/blocks.js';

const doc = ['# Title', 'prose 1.5x', '<!-- figures:a -->', 'old a', '<!-- /figures:a -->', 'middle', '<!-- figures:b -->', '<!-- /figures:b -->', 'end'].join('\n');

describe('figure blocks', () => {
  it('finds each block with its body and lines', () => {
    expect(parseBlocks(doc)).toEqual([
      { name: 'a', openLine: 2, closeLine: 4, body: 'old a' },
      { name: 'b', openLine: 6, closeLine: 7, body: '' },
    ]);
  });

  it('replaces bodies only, leaving markers and prose as they were', () => {
    const out = replaceBlocks(doc, (b) => (b.name === 'a' ? 'new a\nsecond line' : 'new b\n'));
    expect(out).toBe(['# Title', 'prose 1.5x', '<!-- figures:a -->', 'new a', 'second line', '<!-- /figures:a -->', 'middle', '<!-- figures:b -->', 'new b', '<!-- /figures:b -->', 'end'].join('\n'));
    // Idempotent: rendering the same bodies again changes nothing.
    expect(replaceBlocks(out, (b) => b.body)).toBe(out);
  });

  it('lists the prose lines outside every block, with their line numbers', () => {
    expect(proseLines(doc)).toEqual([
      { line: 1, text: '# Title' },
      { line: 2, text: 'prose 1.5x' },
      { line: 6, text: 'middle' },
      { line: 9, text: 'end' },
    ]);
  });

  it.each([
    ['an unclosed block', '<!-- figures:a -->\nx', /line 1: block "a" is never closed/],
    ['a nested block', '<!-- figures:a -->\n<!-- figures:b -->\n<!-- /figures:b -->\n<!-- /figures:a -->', /line 2: block "b" opens inside block "a"/],
    ['a mismatched close', '<!-- figures:a -->\n<!-- /figures:b -->', /line 2: closes "b" but "a"/],
    ['a stray close', 'x\n<!-- /figures:a -->', /line 2: closing marker of "a" without an opening one/],
    ['a malformed marker', 'x <!-- figures:a --> inline', /line 1: malformed figures marker/],
  ])('refuses %s, naming the line', (_what, text, message) => {
    expect(() => parseBlocks(text)).toThrow(BlockSyntaxError);
    expect(() => parseBlocks(text)).toThrow(message);
  });

  it('reports the first differing line of two bodies', () => {
    expect(firstDifference('a\nb\nc', 'a\nB\nc')).toEqual({ line: 2, actual: 'b', expected: 'B' });
    expect(firstDifference('a', 'a\nb')).toEqual({ line: 2, actual: '(nothing)', expected: 'b' });
    expect(firstDifference('a\nb', 'a\nb')).toBeUndefined();
  });
});

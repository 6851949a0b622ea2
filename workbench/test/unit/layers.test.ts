/**
 * The workbench's dependency rule, checked on the source (README "How it fits together"):
 *   1. no import cycle between folders (a top-level file such as errors.ts counts as a folder of its own);
 *   2. layers: a folder imports only from its own layer or the layers below it, so nothing imports commands/
 *      but cli.ts, and nothing below targets/ imports targets/ or bench/;
 *   3. stack/ imports nothing of setup/: what the stack needs from set-up comes in as values;
 *   4. only process entries (cli.ts, the Docker driver process) read process.env.
 * Every relative import counts, `import type` included (a type is a dependency for the next reader too).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

/** Top to bottom. bench/ drives targets the way a command does (it is the bench command's workloads). */
export const LAYERS: readonly (readonly string[])[] = [
  ['cli'],
  ['commands'],
  ['bench'],
  ['targets'],
  ['stack', 'setup', 'job', 'emr', 'serverless', 'iam', 'forecast', 'parity', 'outputs', 'report', 'run', 'docs'],
  ['config', 'storage', 'host'],
  ['errors', 'lifecycle', 'terminal', 'context'],
];
const FORBIDDEN: [string, string][] = [['stack', 'setup']];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : /\.(ts|mts)$/.test(e.name) ? [path.join(dir, e.name)] : [],
  );
}

/** The folder (first path segment under src/, extension dropped) a file or import target belongs to; undefined outside src/. */
function nodeOf(file: string): string | undefined {
  const rel = path.relative(SRC, file);
  if (rel.startsWith('..')) return undefined;
  return rel.split(path.sep)[0]!.replace(/\.(js|ts|mts|json)$/, '');
}

/** folder -> folders it imports, with one example import per edge for the failure message. */
export function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sourceFiles(SRC)) {
    const from = nodeOf(file)!;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const to = nodeOf(path.resolve(path.dirname(file), m[1]!));
      if (to === undefined || to === from) continue;
      if (!graph.has(from)) graph.set(from, new Map());
      graph.get(from)!.set(to, graph.get(from)!.get(to) ?? `${path.relative(SRC, file)} imports ${m[1]}`);
    }
  }
  return graph;
}

/** Strongly connected components with more than one folder (Tarjan). */
export function cycles(graph: Map<string, Map<string, string>>): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size), low.set(v, index.get(v)!), stack.push(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) visit(w), low.set(v, Math.min(low.get(v)!, low.get(w)!));
      else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      for (let w = ''; w !== v; ) scc.push((w = stack.pop()!));
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('layers of workbench/src', () => {
  const graph = folderGraph();
  const layerOf = (folder: string) => LAYERS.findIndex((l) => l.includes(folder));

  it('every folder has a layer (a new folder is placed in LAYERS and in the README map)', () => {
    expect([...graph.keys()].filter((f) => layerOf(f) < 0)).toEqual([]);
  });

  it('no import cycle between folders', () => {
    const found = cycles(graph);
    const detail = found.map((c) => `${c.join(' <-> ')}: ${c.flatMap((a) => c.filter((b) => graph.get(a)?.has(b)).map((b) => graph.get(a)!.get(b))).join('; ')}`);
    expect(detail).toEqual([]);
  });

  it('imports point down: nothing imports commands/ but cli.ts, nothing below targets/ imports targets/ or bench/', () => {
    const upward = [...graph].flatMap(([from, tos]) => [...tos].filter(([to]) => layerOf(to) < layerOf(from)).map(([, example]) => example));
    expect(upward).toEqual([]);
  });

  it('only process entries read process.env; everything else gets the env from its command (context.ts)', () => {
    const entries = ['cli.ts', path.join('stack', 'docker', 'driver-run.ts')];
    const readers = sourceFiles(SRC)
      .filter((f) => !entries.includes(path.relative(SRC, f)))
      .flatMap((f) => readFileSync(f, 'utf8').split('\n').map((line, i) => ({ line, at: `${path.relative(SRC, f)}:${i + 1}` })))
      .filter(({ line }) => /process\.env\b/.test(line) && !/^\s*(\/?\*|\/\/)/.test(line))
      .map(({ at }) => at);
    expect(readers).toEqual([]);
  });

  it('stack/ takes what it needs from set-up as values', () => {
    expect(FORBIDDEN.flatMap(([a, b]) => (graph.get(a)?.has(b) ? [graph.get(a)!.get(b)] : []))).toEqual([]);
  });

  it('the scanner sees the edges it checks (a cycle and an upward import are found when present)', () => {
    const g = new Map([['a', new Map([['b', 'x']])], ['b', new Map([['c', 'y']])], ['c', new Map([['a', 'z']])]]);
    expect(cycles(g)).toEqual([['a', 'b', 'c']]);
    expect(graph.get('commands')?.has('targets')).toBe(true);
    expect(graph.get('cli')?.has('commands')).toBe(true);
  });
});

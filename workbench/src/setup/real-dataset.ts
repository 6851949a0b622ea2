/**
 * `make data`: the real Fruits-360 subset, by sample-data/download.py (downloads the course's EU copy once into
 * <cacheDir>/downloads, extracts N images per class into sample-data/fruits-360). Its progress lines are passed
 * through; offline it fails with the script's own explanation.
 */
import path from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import type { Output } from '../terminal/index.js';
import type { WorkbenchConfig } from '../config/schema.js';
import { AbortedError, PrerequisiteError } from '../errors.js';
import type { ToolPaths } from './tools.js';

export function realDatasetDir(root: string): string {
  return path.join(root, 'sample-data', 'fruits-360');
}

export async function downloadRealDataset(
  cfg: WorkbenchConfig,
  tools: Pick<ToolPaths, 'python'>,
  out: Output,
  signal: AbortSignal,
  opts: { perClass?: number; zip?: string } = {},
): Promise<string> {
  const dir = realDatasetDir(cfg.root);
  const args = [path.join(cfg.root, 'sample-data', 'download.py'), '--cache-dir', cfg.cacheDir, '--out', dir];
  if (opts.perClass) args.push('--per-class', String(opts.perClass));
  if (opts.zip) args.push('--zip', path.resolve(opts.zip));
  const child = execa(tools.python, args, { cancelSignal: signal, reject: false, stdout: 'pipe', stderr: 'pipe' });
  const errors: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (line.startsWith('download.py: error: ')) errors.push(line.slice('download.py: error: '.length));
    else out.info(line);
  });
  const r = await child;
  if (signal.aborted) throw new AbortedError();
  if (r.failed) {
    const message = errors.join(' ') || (r.stderr as string) || r.message;
    throw new PrerequisiteError(`make data: ${message}`, 'connect to the internet, or pass --zip PATH to a fruits.zip you already have (npm run setup -- --data --zip PATH)');
  }
  out.info(String(r.stdout).trim());
  return dir;
}

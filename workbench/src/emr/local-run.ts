/**
 * Finds the local run to check an EMR run against: the newest succeeded run in runs/ whose input is the same
 * folder (same `<inputsPrefix>/<name>/` path, whatever the bucket and scheme) and that did not run on EMR.
 * Reads manifests only; undefined when there is none (the command then says how to make one).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

interface ManifestLike {
  run_id?: string;
  status?: string;
  input_uri?: string;
  finished_at?: string;
  spark?: { master?: string };
}

/** `s3a://b/inputs/x/` and `s3://other/inputs/x` both give `inputs/x`. */
export function inputPath(uri: string): string {
  return uri.replace(/^[a-z0-9]+:\/\/[^/]+\//i, '').replace(/\/+$/, '');
}

export async function findLocalRunFor(runsDir: string, inputUri: string, excludeRunId?: string): Promise<string | undefined> {
  if (!existsSync(runsDir)) return undefined;
  const want = inputPath(inputUri);
  let best: { dir: string; finished: string } | undefined;
  for (const name of await readdir(runsDir)) {
    const file = path.join(runsDir, name, 'manifest.json');
    if (name === excludeRunId || !existsSync(file)) continue;
    let m: ManifestLike;
    try {
      m = JSON.parse(await readFile(file, 'utf8')) as ManifestLike;
    } catch {
      continue;
    }
    if (m.status !== 'succeeded' || !m.input_uri || inputPath(m.input_uri) !== want) continue;
    if ((m.spark?.master ?? '').startsWith('yarn')) continue; // an earlier EMR run
    const finished = m.finished_at ?? '';
    if (!best || finished > best.finished) best = { dir: path.join(runsDir, name), finished };
  }
  return best?.dir;
}

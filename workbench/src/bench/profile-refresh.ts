/**
 * `npm run bench -- --only profile`: re-derives bench-results/throughput-profile.json from the bench results
 * already in bench-results/ (scale.json, and featurize.json when present), without measuring anything. The scale
 * and featurize benches call it after writing their figures, so the profile always follows the latest figures.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { deriveThroughputProfile, type FeaturizeFigures, type ScaleFigures } from '../forecast/derive-profile.js';
import { parseThroughputProfile, THROUGHPUT_PROFILE_FILE, type ThroughputProfile } from '../forecast/profile.js';

export async function refreshThroughputProfile(root: string): Promise<{ file: string; profile: ThroughputProfile }> {
  const dir = path.join(root, 'bench-results');
  const scaleFile = path.join(dir, 'scale.json');
  if (!existsSync(scaleFile)) {
    throw new ConfigError(
      [{ key: 'bench-results/scale.json', message: 'missing: the throughput profile is derived from the scale bench', fix: 'run `npm run bench -- --only scale` (add --skip-largest for a shorter run)' }],
      'throughput profile',
    );
  }
  if (scaleMeasuredPacked(root)) throw packedScaleError();
  const scale = JSON.parse(readFileSync(scaleFile, 'utf8')) as ScaleFigures;
  const featurizeFile = path.join(dir, 'featurize.json');
  const featurize = existsSync(featurizeFile) ? (JSON.parse(readFileSync(featurizeFile, 'utf8')) as FeaturizeFigures) : undefined;
  const sources = [`bench-results/scale.json (measured ${scale.measured_at})`];
  if (featurize) sources.push(`bench-results/featurize.json${featurize.measured_at ? ` (measured ${featurize.measured_at})` : ''}`);
  // Checked with the loader's own schema before it is written: the file is only ever valid.
  const profile = parseThroughputProfile(deriveThroughputProfile({ scale, featurize, sources }), THROUGHPUT_PROFILE_FILE);
  const file = path.join(root, THROUGHPUT_PROFILE_FILE);
  writeFileSync(file, `${JSON.stringify(profile, null, 2)}\n`);
  return { file, profile };
}

/**
 * The forecast prices EMR runs, which read images one object each: a scale bench measured on packed input (fewer
 * S3 requests per image) would make them look cheaper than they are, so the profile is not derived from one.
 */
export function packedScaleError(): ConfigError {
  return new ConfigError(
    [
      {
        key: 'bench-results/scale.json',
        message: 'measured with job.inputFormat packed; the throughput profile prices EMR runs, which read images',
        fix: 'run `npm run bench -- --only scale --input-format images` to refresh the profile (bench-results/throughput-profile.json is left as it was)',
      },
    ],
    'throughput profile',
  );
}

/** Whether the committed scale.json was measured on packed input (then the profile is not refreshed from it). */
export function scaleMeasuredPacked(root: string): boolean {
  try {
    const scale = JSON.parse(readFileSync(path.join(root, 'bench-results', 'scale.json'), 'utf8')) as { sizes?: { input_format?: string }[] };
    return (scale.sizes ?? []).some((z) => z.input_format === 'packed');
  } catch {
    return false;
  }
}

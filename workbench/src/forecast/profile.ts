/**
 * The throughput profile: how fast the job runs on the machine it was measured on, per engine, committed at
 * bench-results/throughput-profile.json. The bench writes it (`npm run bench -- --only scale`, and
 * `--only profile` re-derives it from the bench results already there); the forecast reads it. Loaded and
 * checked once, with zod; a missing or malformed file names itself and the command that rebuilds it.
 *
 * The model it feeds (forecast/step.ts): a run of n images on c cores of this machine takes
 *   fixedSeconds + n / (imagesPerSecondPerCore[engine] x c)
 * where fixedSeconds is what the job costs whatever n (Spark, JVM and Python start, the weights' conversion and
 * broadcast, the 1280 x 1280 decomposition, committing the outputs), and the rate is the job's MARGINAL rate:
 * every per-image cost (S3 reads, decode, the model, the moments, the writes), not the featurize stage alone.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ENGINES } from '../config/schema.js';
import { ConfigError } from '../errors.js';

export const THROUGHPUT_PROFILE_FORMAT = 'fruits-workbench/throughput-profile@1';
/** Relative to the repository root. */
export const THROUGHPUT_PROFILE_FILE = path.join('bench-results', 'throughput-profile.json');
export const REFRESH_COMMAND = 'npm run bench -- --only profile';

export type Engine = (typeof ENGINES)[number];

const EngineRate = z
  .object({
    /** The job's marginal whole-job rate, images per second per core of `machine`. */
    imagesPerSecondPerCore: z.number().positive(),
    /** How it was obtained (which bench, which figures), for a reader checking it. */
    basis: z.string().min(1),
  })
  .strict();

export const ThroughputProfileSchema = z
  .object({
    format: z.literal(THROUGHPUT_PROFILE_FORMAT),
    measuredAt: z.iso.datetime({ offset: true }),
    machine: z.object({ cpuModel: z.string().min(1), cores: z.number().int().positive() }).strict(),
    /** The bench result files it was derived from, with their measured_at. */
    sources: z.array(z.string()).min(1),
    /** The job's cost that does not grow with the input, seconds on `machine`. */
    fixedSeconds: z.number().nonnegative(),
    engines: z.partialRecord(z.enum(ENGINES), EngineRate).refine((e) => Object.keys(e).length > 0, 'at least one engine'),
  })
  .strict();

export type ThroughputProfile = z.infer<typeof ThroughputProfileSchema>;
export type EngineRate = z.infer<typeof EngineRate>;

/** Validates a parsed profile; the error names the file, the key and the fix. */
export function parseThroughputProfile(raw: unknown, file: string): ThroughputProfile {
  const parsed = ThroughputProfileSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((i) => ({ key: `${file}: ${i.path.join('.') || '(root)'}`, message: i.message, fix: `rebuild it with \`${REFRESH_COMMAND}\`` })),
    'throughput profile',
  );
}

export async function loadThroughputProfile(file: string): Promise<ThroughputProfile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ConfigError(
      [{ key: file, message: 'the throughput profile is missing, so no run can be forecast', fix: `measure it with \`npm run bench -- --only scale\` (or restore it from git)` }],
      'throughput profile',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([{ key: file, message: `not JSON (${(err as Error).message})`, fix: `rebuild it with \`${REFRESH_COMMAND}\`` }], 'throughput profile');
  }
  return parseThroughputProfile(raw, file);
}

/** The rate of one engine, or a clear refusal when the profile never measured it. */
export function engineRate(profile: ThroughputProfile, engine: Engine): EngineRate {
  const rate = profile.engines[engine];
  if (!rate) {
    throw new ConfigError(
      [{ key: 'job.engine', message: `the throughput profile has no rate for ${engine} (it has ${Object.keys(profile.engines).join(', ')})`, fix: 'run `npm run bench -- --only featurize,profile` to measure every engine' }],
      'throughput profile',
    );
  }
  return rate;
}

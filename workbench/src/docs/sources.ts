/**
 * The sources figures in the docs may come from, typed: the committed bench results (bench-results/*.json,
 * each with the machine and date it was measured on), the committed config's `emr` profile, and, imported
 * directly by the generators, the code itself (emr/sizing.ts, emr/prices.ts, job/artifact.ts).
 *
 * Nothing here reads the environment: the config is the committed workbench.yaml with no WORKBENCH_* override,
 * so `npm run docs -- --check` gives the same answer on every machine and in CI.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { loadConfig } from '../config/load.js';
import { INPUT_FORMATS, type EmrProfile, type WorkbenchConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { parseThroughputProfile, REFRESH_COMMAND, THROUGHPUT_PROFILE_FILE, type Engine, type ThroughputProfile } from '../forecast/profile.js';
import { MachineSchema } from './machine.js';

const stamped = { measured_at: z.string().min(10), machine: MachineSchema };
const stages = z.record(z.string(), z.number());

export const EndToEndResultSchema = z.object({
  ...stamped,
  sizes: z
    .array(
      z.object({
        images: z.number().int().positive(),
        job: z.object({ stages_s: stages, total_s: z.number(), command_s: z.number(), engine: z.string(), model_cache: z.string() }),
        bare: z.object({ stages_s: stages, total_s: z.number() }),
      }),
    )
    .min(1),
  ratios: z.object({ job_vs_bare_keras: z.record(z.string(), z.number()) }),
});

const rate = z.object({ images_per_s: z.number().positive() });
export const FeaturizeResultSchema = z.object({
  ...stamped,
  images: z.number().int().positive(),
  cores: z.number().int().positive(),
  batch_size: z.number().int().positive(),
  default_engine: z.string(),
  fastest_parity_safe_engine: z.string().nullable(),
  cosine_min: z.number(),
  engines: z.record(z.string(), z.object({ warm: rate, cold: rate, ratio_vs_bare_keras: z.number(), min_cosine: z.number() })),
  results: z.object({ bare_keras: rate, notebook_baseline: z.object({ warm: rate }).optional() }),
  ratios: z.object({ job_vs_bare_keras: z.number(), job_vs_baseline: z.number().optional() }),
});

const dockerSide = z.object({ total_s: z.number(), command_s: z.number() });
export const DockerResultSchema = z.object({
  ...stamped,
  images: z.number().int().positive(),
  native: dockerSide,
  docker: dockerSide,
  ratios: z.object({ native_vs_docker: z.number() }),
});

const mib = z.number().nullable();
export const ScaleResultSchema = z.object({
  ...stamped,
  sizes: z
    .array(
      z.object({
        images: z.number().int().positive(),
        engine: z.string(),
        /** job.inputFormat of the run (images | packed); absent in results written before it was recorded (images). */
        input_format: z.enum(INPUT_FORMATS).optional(),
        /** The converted-model cache (miss: this run converted the model itself); absent in results written before it was recorded. */
        model_cache: z.string().optional(),
        command_s: z.number(),
        command_images_per_s: z.number(),
        job_step_s: z.number(),
        job_images_per_s: z.number(),
        tasks: z.number().int().nullable(),
        counts: z.object({ inputs: z.number(), featurized: z.number(), errors: z.number() }),
        memory: z.object({ driver_jvm_mb: mib, driver_python_mb: mib, executor_mb: mib, python_worker_mb: mib }),
        /** Where the CPU went (bench/process-peaks.ts); absent in results written before it was recorded, null off Linux. */
        cpu: z
          .object({
            window_s: z.number(),
            cores: z.number(),
            capacity_s: z.number(),
            machine_busy_s: z.number(),
            by_role_s: z.record(z.string(), z.number()),
            core_ms_per_image: z.record(z.string(), z.number()),
          })
          .nullable()
          .optional(),
      }),
    )
    .min(1),
  goals: z.array(z.object({ what: z.string(), value: z.number().nullable(), threshold: z.number(), kind: z.enum(['min', 'max']), met: z.boolean().nullable() })),
});

/** Each bench result the docs cite, with the command that writes it. */
export const BENCH_RESULTS = {
  'end-to-end': { file: 'bench-results/end-to-end.json', schema: EndToEndResultSchema, command: 'npm run bench -- --only end-to-end' },
  featurize: { file: 'bench-results/featurize.json', schema: FeaturizeResultSchema, command: 'npm run bench -- --only featurize' },
  docker: { file: 'bench-results/docker.json', schema: DockerResultSchema, command: 'npm run bench -- --only docker' },
  scale: { file: 'bench-results/scale.json', schema: ScaleResultSchema, command: 'npm run bench -- --only scale' },
} as const;
export type BenchName = keyof typeof BENCH_RESULTS;
export type BenchResult<K extends BenchName> = z.infer<(typeof BENCH_RESULTS)[K]['schema']>;

/** A source exists but cannot be used (bad JSON, a missing field, no machine/date): names the file and the fix. */
export class FigureSourceError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

export interface FigureSources {
  root: string;
  /** The committed result, or undefined when this clone has none yet (the block then says which command writes it). */
  bench<K extends BenchName>(name: K): BenchResult<K> | undefined;
  /** The committed workbench.yaml's `emr` profile, no env or flag applied. */
  emrProfile(): EmrProfile;
  /** The committed workbench.yaml's default engine (job.engine). */
  engine(): Engine;
  /** The committed throughput profile the forecast reads (bench-results/throughput-profile.json), or undefined when absent. */
  throughput(): ThroughputProfile | undefined;
}

export function repoSources(root: string): FigureSources {
  const cache = new Map<BenchName, unknown>();
  let cfg: WorkbenchConfig | undefined;
  let throughput: { value: ThroughputProfile | undefined } | undefined;
  const config = () => (cfg ??= loadConfig({ root, env: {}, flags: { profile: 'emr' } }));
  return {
    root,
    bench<K extends BenchName>(name: K): BenchResult<K> | undefined {
      if (cache.has(name)) return cache.get(name) as BenchResult<K> | undefined;
      const { file, schema, command } = BENCH_RESULTS[name];
      const abs = path.join(root, file);
      let value: BenchResult<K> | undefined;
      if (existsSync(abs)) {
        let raw: unknown;
        try {
          raw = JSON.parse(readFileSync(abs, 'utf8'));
        } catch (err) {
          throw new FigureSourceError(`${file} is not JSON: ${(err as Error).message}`, `rerun \`${command}\``);
        }
        const parsed = schema.safeParse(raw);
        if (!parsed.success) {
          const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
          const unstamped = parsed.error.issues.some((i) => i.path[0] === 'machine' || i.path[0] === 'measured_at');
          throw new FigureSourceError(
            `${file} cannot be cited: ${issues}`,
            unstamped ? `on the machine that measured it, run \`npm run docs -- --stamp ${file}\`` : `rerun \`${command}\``,
          );
        }
        value = parsed.data as BenchResult<K>;
      }
      cache.set(name, value);
      return value;
    },
    emrProfile(): EmrProfile {
      const profile = config().profile;
      if (profile.kind !== 'emr') throw new FigureSourceError('the committed workbench.yaml has no emr profile', 'restore profiles.emr in workbench.yaml');
      return profile;
    },
    engine: () => config().job.engine,
    throughput(): ThroughputProfile | undefined {
      if (!throughput) {
        const abs = path.join(root, THROUGHPUT_PROFILE_FILE);
        if (!existsSync(abs)) throughput = { value: undefined };
        else {
          try {
            throughput = { value: parseThroughputProfile(JSON.parse(readFileSync(abs, 'utf8')), THROUGHPUT_PROFILE_FILE) };
          } catch (err) {
            if (!(err instanceof ConfigError) && !(err instanceof SyntaxError)) throw err;
            throw new FigureSourceError(`${THROUGHPUT_PROFILE_FILE} cannot be cited: ${err.message.split('\n').slice(0, 3).join(' ')}`, `rebuild it with \`${REFRESH_COMMAND}\``);
          }
        }
      }
      return throughput.value;
    },
  };
}

/**
 * The one typed config. `workbench.yaml` describes the job once (`job`), where data lives (`storage`), the local
 * stack (`stack`), parity tolerances (`parity`) and the profiles that say where the job runs. A profile changes
 * where the job runs and the region, never what the job does: job settings are not allowed inside profiles.
 *
 * Validation happens once, at the edge (config/load.ts); everything downstream receives a `WorkbenchConfig`.
 */
import { z } from 'zod';
import { DEFAULT_RELEASE, RELEASE_LABELS, unsupportedReleaseMessage, type Release } from './releases.js';
import type { InputSpec, WeightsSpec } from './specs.js';

/** EU regions the workbench accepts for data and compute (GDPR). London and Zurich are outside the EU. */
export const EU_REGIONS = ['eu-west-1', 'eu-west-3', 'eu-central-1', 'eu-north-1', 'eu-south-1', 'eu-south-2'] as const;
export type EuRegion = (typeof EU_REGIONS)[number];

const region = z
  .string()
  .refine((r) => (EU_REGIONS as readonly string[]).includes(r), {
    message: `must be an EU region (GDPR): one of ${EU_REGIONS.join(', ')}`,
  });

/**
 * The EMR release a profile runs (config/releases.ts): its Spark runs locally too, so a local run and an EMR run of
 * the same release are comparable. Flag: --release; env WORKBENCH_RELEASE.
 */
const release = z
  .string()
  .superRefine((r, ctx) => {
    if (!RELEASE_LABELS.includes(r)) ctx.addIssue({ code: 'custom', message: unsupportedReleaseMessage(r) });
  })
  .default(DEFAULT_RELEASE.label);

/** Parsed into a typed WeightsSpec by config/load.ts (config/specs.ts), which also reports a bad value. */
const weightsSpec = z.string().min(1);

export const INTERPOLATIONS = ['nearest', 'bilinear', 'bicubic', 'lanczos'] as const;
/** The job's --engine and --precision choices: the same as pipeline/src/fruits_pipeline/engines.py (test/unit/config-engines-python.test.ts asks that module and fails when they differ). */
export const ENGINES = ['keras', 'openvino', 'onnxruntime'] as const;
export const PRECISIONS = ['f32', 'bf16', 'int8'] as const;
export const DEFAULT_ENGINE = 'onnxruntime';
export const SUPPORTED_PRECISIONS: Record<(typeof ENGINES)[number], readonly (typeof PRECISIONS)[number][]> = {
  keras: ['f32'],
  openvino: ['f32', 'bf16'],
  onnxruntime: ['f32', 'int8'],
};

/** What the job computes. Identical on every profile. */
/**
 * Images per featurization task when `partitions` is 0 (the job sizes its tasks by work: ceil(images / this),
 * never fewer than the cores): the pipeline's task_sizing.py DEFAULT_IMAGES_PER_TASK, about 3 minutes of one core
 * at the measured rate (35 images/s per core x 180 s). A unit test asks the pipeline for its default.
 */
export const DEFAULT_IMAGES_PER_TASK = 6300;

/**
 * How the job reads its input (job --input-format): `images`, one object per image (binaryFile), or `packed`,
 * Parquet files of (key, label, content) that the local stack packs on the host first (storage/pack-plan.ts):
 * binaryFile costs three S3 requests per image, the largest CPU cost after the model at 100k images.
 */
export const INPUT_FORMATS = ['images', 'packed'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export const JobSchema = z
  .object({
    /** Local folder uploaded to the stack's bucket, or an s3:// / s3a:// URI used as is. */
    input: z.string().min(1).default('sample-data/fruits-synthetic'),
    /**
     * images | packed (INPUT_FORMATS): packed = the local stack packs a local input folder into Parquet files on
     * the host and the job reads those; an s3:// input must then hold such files. npm run local only (the cloud
     * targets, the rehearsals and the notebook refuse it). Flag: --input-format; env WORKBENCH_INPUT_FORMAT.
     */
    inputFormat: z.enum(INPUT_FORMATS, { error: `must be ${INPUT_FORMATS.join(' or ')}` }).default('images'),
    /** auto | imagenet | path or URI of a Keras weights file | random:SEED. `auto`: see setup/weights.ts. */
    weights: weightsSpec.default('auto'),
    imageSize: z.number().int().min(32).max(1024).default(224),
    interpolation: z.enum(INTERPOLATIONS).default('bilinear'),
    arrowBatchSize: z.number().int().min(1).max(100_000).default(64),
    /** 0 = sized by work (imagesPerTask); N = exactly N featurization tasks. */
    partitions: z.number().int().min(0).default(0),
    /** With partitions 0: images per featurization task (job --images-per-task; the forecast counts the same tasks). */
    imagesPerTask: z.number().int().min(1).max(1_000_000).default(DEFAULT_IMAGES_PER_TASK),
    /**
     * Who runs the model on the executors; the driver converts the Keras model once and broadcasts the result.
     * The default is the fastest engine whose features match Keras at cosine >= 0.9999 on every shared image.
     */
    engine: z.enum(ENGINES).default(DEFAULT_ENGINE),
    /** f32 is parity-safe; bf16 (openvino) and int8 (onnxruntime) are faster opt-ins, flagged in the manifest. */
    precision: z.enum(PRECISIONS).default('f32'),
    pca: z
      .object({
        /** A fixed k, or 'auto' to choose the smallest k reaching varianceThreshold. */
        k: z.union([z.literal('auto'), z.number().int().min(1).max(1280)]).default('auto'),
        varianceThreshold: z.number().gt(0).max(1).default(0.95),
        standardize: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((job, ctx) => {
    if (!SUPPORTED_PRECISIONS[job.engine].includes(job.precision)) {
      ctx.addIssue({
        code: 'custom',
        path: ['precision'],
        message: `engine ${job.engine} supports precision ${SUPPORTED_PRECISIONS[job.engine].join(' | ')}, not ${job.precision}`,
      });
    }
  });

export const StorageSchema = z
  .object({
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name (lower case, digits, dots, dashes)')
      .default('fruits-workbench'),
    inputsPrefix: z.string().default('inputs'),
    runsPrefix: z.string().default('runs'),
  })
  .strict();

export const StackSchema = z
  .object({
    backend: z.enum(['auto', 'native', 'docker']).default('native'),
    /** Where stack state (MinIO data, pids, logs, generated credentials) lives. Relative to the repo root. */
    stateDir: z.string().default('.workbench'),
    /** 0 = pick a free port on 127.0.0.1. */
    minioPort: z.number().int().min(0).max(65535).default(0),
    readyTimeoutSeconds: z.number().int().min(1).default(90),
  })
  .strict();

const sparkLocal = z
  .object({
    master: z.string().default('local[*]'),
    driverMemory: z.string().default('4g'),
  })
  .strict();

const sparkCluster = z
  .object({
    workers: z.number().int().min(1).max(8).default(2),
    workerCores: z.number().int().min(1).default(1),
    workerMemory: z.string().default('3g'),
    driverMemory: z.string().default('2g'),
  })
  .strict();

export const LocalProfileSchema = z
  .object({ kind: z.literal('local'), region: region.default('eu-west-3'), release, spark: sparkLocal.prefault({}) })
  .strict();

export const ClusterProfileSchema = z
  .object({ kind: z.literal('cluster'), region: region.default('eu-west-3'), release, spark: sparkCluster.prefault({}) })
  .strict();

const instanceGroup = z
  .object({
    instanceType: z.string().min(1),
    count: z.number().int().min(1).max(20),
  })
  .strict();

export const EmrProfileSchema = z
  .object({
    kind: z.literal('emr'),
    region: region.default('eu-west-3'),
    /** Bucket for inputs, artifact, outputs and logs; must live in `region`. Empty = `<storage.bucket>-<account>-<region>`. */
    bucket: z.string().default(''),
    /** The EMR release label the cluster runs, and the Spark the local reference run uses (config/releases.ts). */
    release,
    master: instanceGroup.default({ instanceType: 'm5.xlarge', count: 1 }),
    core: instanceGroup.default({ instanceType: 'm5.xlarge', count: 2 }),
    /**
     * Core nodes to plan, overriding core.count: a number, or 'auto' = the cheapest count whose forecast run
     * (provisioning to teardown) ends within targetMinutes (forecast/auto-nodes.ts). Flag: --core-nodes.
     */
    coreNodes: z.union([z.number().int().min(1).max(20), z.literal('auto')], { error: "must be a whole number from 1 to 20, or 'auto'" }).optional(),
    spot: z.boolean().default(false),
    /** Auto-termination after this much idle time, a safety net behind the workbench's own teardown. */
    idleTimeoutMinutes: z.number().int().min(5).max(24 * 60).default(30),
    /**
     * Run time priced and the poller's bounded wait when the run cannot be forecast (no throughput profile, or an
     * s3:// input of unknown size); otherwise the forecast sets both (emr/plan.ts).
     */
    plannedMinutes: z.number().int().min(5).max(24 * 60).default(60),
    /** With coreNodes 'auto': the whole run, provisioning to teardown, must end within this many minutes. Flag: --target-minutes. */
    targetMinutes: z.number().int().min(5).max(24 * 60).default(60),
    budgetEur: z.number().positive().default(10),
    serviceRole: z.string().default('EMR_DefaultRole'),
    instanceProfile: z.string().default('EMR_EC2_DefaultRole'),
    subnetId: z.string().optional(),
    tags: z.record(z.string(), z.string()).default({}),
  })
  .strict();

/** EMR Serverless (serverless/): an application and one job run, billed per vCPU-, GB- and storage-hour of its workers. */
export const ServerlessProfileSchema = z
  .object({
    kind: z.literal('serverless'),
    /** Regions with a Serverless price in serverless/prices.ts (the others are refused with that fix). */
    region: region.default('eu-west-3'),
    /** Empty = `<storage.bucket>-<account>-<region>`, the same bucket as the emr profile's. */
    bucket: z.string().default(''),
    release,
    /** The venv archive is built for x86_64 (the runtime lock's wheels). */
    architecture: z.literal('X86_64').default('X86_64'),
    /** Executors (spark.executor.instances, dynamic allocation off: the cost is planned, not discovered). */
    executors: z.number().int().min(1).max(100).default(4),
    /** vCPU per executor worker: 1, 2, 4, 8 or 16 (memory is derived from the measured per-worker peak). */
    executorVcpu: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8), z.literal(16)]).default(4),
    /** Ephemeral disk per worker, GB (20 free; 20-200). */
    diskGb: z.number().int().min(20).max(200).default(20),
    /** The application stops itself after this much idle time, behind the workbench's own stop. */
    idleTimeoutMinutes: z.number().int().min(1).max(24 * 60).default(5),
    /** Priced and bounding the run (executionTimeoutMinutes) when the run cannot be forecast. */
    plannedMinutes: z.number().int().min(5).max(24 * 60).default(30),
    budgetEur: z.number().positive().default(10),
    /** Execution role name or ARN the job run assumes. Empty = the workbench's role scoped to the bucket (iam/; --create-roles). */
    executionRole: z.string().default(''),
    /** Keep the workbench-created application after the run (stopped) instead of deleting it. */
    keepApplication: z.boolean().default(false),
    tags: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export const ProfileSchema = z.discriminatedUnion('kind', [LocalProfileSchema, ClusterProfileSchema, EmrProfileSchema, ServerlessProfileSchema]);

/** Named tolerances of the parity checks (see parity/). Recorded in every parity report. */
export const ParitySchema = z
  .object({
    featureMaxAbs: z.number().nonnegative().default(1e-3),
    featureCosineMin: z.number().min(0).max(1).default(0.9999),
    varianceRatioAbs: z.number().nonnegative().default(1e-4),
    axisCosineMin: z.number().min(0).max(1).default(0.999),
    /** Relative gap under which two eigenvalues count as equal: compare subspaces, not single axes. */
    eigengapRel: z.number().nonnegative().default(1e-2),
    projectionMaxAbs: z.number().nonnegative().default(1e-2),
  })
  .strict();

export const FileConfigSchema = z
  .object({
    job: JobSchema.prefault({}),
    storage: StorageSchema.prefault({}),
    stack: StackSchema.prefault({}),
    parity: ParitySchema.prefault({}),
    /** Profile used when no --profile / WORKBENCH_PROFILE is given. */
    defaultProfile: z.string().default('local'),
    profiles: z.record(z.string(), ProfileSchema).default({
      local: LocalProfileSchema.parse({ kind: 'local' }),
      cluster: ClusterProfileSchema.parse({ kind: 'cluster' }),
      // Filled in by EmrProfileSchema's defaults; `npm run promote` selects it.
      emr: EmrProfileSchema.parse({ kind: 'emr' }),
    } as never),
  })
  .strict();

/** job: as written (input and weights are strings). */
export type JobSettings = z.infer<typeof JobSchema>;
/** job: as every command receives it, with input and weights parsed once (config/specs.ts). */
export type Job = Omit<JobSettings, 'input' | 'weights'> & { input: InputSpec; weights: WeightsSpec };
export type StorageSettings = z.infer<typeof StorageSchema>;
export type StackSettings = z.infer<typeof StackSchema>;
export type ParityTolerances = z.infer<typeof ParitySchema>;
export type LocalProfile = z.infer<typeof LocalProfileSchema>;
export type ClusterProfile = z.infer<typeof ClusterProfileSchema>;
export type EmrProfile = z.infer<typeof EmrProfileSchema>;
export type ServerlessProfile = z.infer<typeof ServerlessProfileSchema>;
export type Profile = z.infer<typeof ProfileSchema>;
export type FileConfig = z.infer<typeof FileConfigSchema>;

/** The resolved config every command receives: file, then env, then flags, validated once. */
export interface WorkbenchConfig {
  /** Absolute path of the repository root (where workbench.yaml lives). */
  root: string;
  /** Where downloads and builds are cached, outside the repo (default ~/.cache/fruits-workbench). */
  cacheDir: string;
  /** Absolute path of the runs folder (runs/<run-id>/). */
  runsDir: string;
  job: Job;
  storage: StorageSettings;
  stack: StackSettings;
  parity: ParityTolerances;
  profileName: string;
  profile: Profile;
  /** The selected profile's release, resolved (config/releases.ts). */
  release: Release;
  /** All profiles, for commands that use two (parity's default compares local and cluster). */
  profiles: Record<string, Profile>;
}

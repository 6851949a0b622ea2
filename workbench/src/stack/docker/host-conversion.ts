/**
 * The model conversion a Docker run needs, done on the HOST before the driver container starts.
 *
 * Why: the Spark image of a release holds no model converter (TensorFlow, Keras, tf2onnx, onnx: 1.1 GB;
 * docker/spark/converters.txt), only what runs the converted model. The job's driver in the container therefore
 * reads the converted model from the converted-model cache (--model-cache, the host folder of the release mounted at
 * the same path, driver.ts) and stops with a clear error on a miss. So before submitting, the workbench runs the
 * job's own `python -m fruits_pipeline.prepare_model` with the release's host venv (the same lock, hence the same
 * converter and runtime versions as the image's) and the run's artifact zip on PYTHONPATH: the same job code as the
 * container imports, hence the same manifest.code_sha256 and the same cache key. It converts only when the entry is
 * missing (a hit imports no TensorFlow: about a second) and prints one line, which the workbench shows.
 *
 * Plan and executor: hostConversionPlan is pure (from the spark-submit plan the driver gets, so the options are the
 * job's own by construction); runHostConversion runs it, honouring the AbortSignal.
 */
import { execa } from 'execa';
import { AbortedError, ConfigError, JobError } from '../../errors.js';
import { childEnvFrom } from '../../host/child-env.js';

/** The job options that decide the converted model (the job's names: pipeline/src/fruits_pipeline/cli.py). */
const MODEL_OPTIONS = ['--weights', '--image-size', '--engine', '--precision'] as const;

export interface HostConversionPlan {
  /** The release's host venv Python (the plan's PYSPARK_PYTHON). */
  command: string;
  args: string[];
  /** Set on top of the parent environment. */
  env: Record<string, string>;
  /** The cache folder it fills (the one the driver container mounts). */
  modelCache: string;
}

/** The values of the job's own options in a spark-submit argument list (after the application file). Pure. */
function jobOptions(sparkSubmitArgs: readonly string[]): { zip: string; options: Map<string, string> } {
  const i = sparkSubmitArgs.indexOf('--py-files');
  const zip = i >= 0 ? sparkSubmitArgs[i + 1] : undefined;
  if (!zip || sparkSubmitArgs[i + 2] === undefined) throw new Error('hostConversionPlan: the spark-submit plan has no --py-files <zip> <entry point>');
  const job = sparkSubmitArgs.slice(i + 3);
  const options = new Map<string, string>();
  for (let k = 0; k < job.length; k++) {
    const a = job[k]!;
    const v = job[k + 1];
    if (a.startsWith('--') && v !== undefined && !v.startsWith('--')) options.set(a, v);
  }
  return { zip, options };
}

/**
 * The host command that makes sure `modelCache` holds the converted model the Docker driver will look for, from
 * the spark-submit plan built for the run (job/submit-plan.ts). ConfigError for what the image cannot run at all:
 * `--engine keras` (TensorFlow on every executor) and weights the host cannot identify as the container does
 * (`imagenet`: Keras' cache differs; a remote URI: no Spark here). Pure.
 */
export function hostConversionPlan(plan: { args: readonly string[]; env: Record<string, string> }, modelCache: string): HostConversionPlan {
  const python = plan.env.PYSPARK_PYTHON;
  if (!python) throw new Error('hostConversionPlan: the spark-submit plan names no PYSPARK_PYTHON (the host venv)');
  const { zip, options } = jobOptions(plan.args);
  const value = (k: (typeof MODEL_OPTIONS)[number]) => {
    const v = options.get(k);
    if (v === undefined) throw new Error(`hostConversionPlan: the job arguments have no ${k}`);
    return v;
  };
  const [weights, engine] = [value('--weights'), value('--engine')];
  if (engine === 'keras') {
    throw new ConfigError([
      {
        key: 'job.engine',
        message: 'engine keras runs TensorFlow on every executor, and the Docker image holds no TensorFlow (docs/docker.md: what the image holds)',
        fix: '--engine onnxruntime (the default) or openvino, or --backend native',
      },
    ]);
  }
  if (weights === 'imagenet' || /^[a-z][a-z0-9+.-]*:\/\//i.test(weights)) {
    throw new ConfigError([
      {
        key: 'job.weights',
        message: `${weights}: the Docker backend converts the model on the host before the run, from a local weights file or random:SEED`,
        fix: 'give a local Keras weights file (the default `auto` converts the shared ImageNet weights into one), or --backend native',
      },
    ]);
  }
  const args = ['-m', 'fruits_pipeline.prepare_model'];
  for (const k of MODEL_OPTIONS) args.push(k, value(k));
  args.push('--model-cache', modelCache);
  return {
    command: python,
    args,
    // The artifact's code, as the container's driver imports it (--py-files): the key covers it. TensorFlow's C++
    // INFO lines would only bury the one line this prints.
    env: { PYTHONPATH: zip, TF_CPP_MIN_LOG_LEVEL: '2', PYTHONUNBUFFERED: '1' },
    modelCache,
  };
}

/** A copy-pasteable rendering, for --dry-run. Pure. */
export function formatHostConversion(plan: HostConversionPlan): string {
  const q = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [...Object.entries(plan.env).map(([k, v]) => `${k}=${q(v)}`), q(plan.command), ...plan.args.map(q)].join(' ');
}

/** What `prepare_model` prints for the user: its result, and a stale or unreadable entry it replaced. */
const RESULT_LINE = /^converted-model cache: /;

/**
 * Runs the plan; returns the lines it printed (the result line last). JobError with its error line when it fails,
 * AbortedError when the signal stops it.
 */
export async function runHostConversion(
  plan: HostConversionPlan,
  o: { signal: AbortSignal; parentEnv: Record<string, string | undefined>; info?: (line: string) => void },
): Promise<string[]> {
  // The same filter as spark-submit's (host/child-env.ts): nothing may point the host Python elsewhere.
  const child = await execa(plan.command, plan.args, { env: childEnvFrom(o.parentEnv, plan.env), extendEnv: false, cancelSignal: o.signal, reject: false, all: true });
  if (o.signal.aborted) throw new AbortedError();
  const lines = String(child.all ?? '').split('\n').filter((l) => l.trim() !== '');
  if (child.exitCode !== 0) {
    const reason = lines.find((l) => l.startsWith('fruits-prepare-model: error: ')) ?? lines.slice(-8).join('\n');
    throw new JobError(
      `converting the model on the host for the Docker run failed (exit code ${child.exitCode ?? 'none'}): ${reason}`,
      `run it by hand to see everything: PYTHONPATH=${plan.env.PYTHONPATH} ${plan.command} ${plan.args.join(' ')}`,
    );
  }
  const shown = lines.filter((l) => RESULT_LINE.test(l));
  for (const l of shown) o.info?.(l);
  return shown;
}

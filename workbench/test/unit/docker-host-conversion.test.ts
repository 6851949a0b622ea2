/**
 * The Docker backend's host conversion (stack/docker/host-conversion.ts): the plan derived from the run's own
 * spark-submit plan (pure), its refusals, and the executor against small stand-in scripts (exit code, the one
 * result line, the environment, Ctrl-C). Also the image context's converter list (image.ts).
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSubmitPlan } from '../../src/job/submit-plan.js';
import { JobSchema, LocalProfileSchema } from '../../src/config/schema.js';
import { AbortedError, ConfigError, JobError } from '../../src/errors.js';
import { hostConversionPlan, runHostConversion } from '../../src/stack/docker/host-conversion.js';
import { CONVERTERS_LIST, parseConvertersList, wheelDistribution } from '../../src/stack/docker/image.js';

const root = path.resolve(import.meta.dirname, '../../..');

function submit(job: Record<string, unknown> = {}, weights = '/cache/weights/mobilenet.weights.h5') {
  return buildSubmitPlan({
    tools: { python: '/cache/venv/bin/python', sparkHome: '/cache/venv/lib/pyspark', sparkSubmit: '/cache/venv/bin/spark-submit', s3aJars: ['/cache/jars/hadoop-aws.jar'], s3aCredentialsProvider: 'p', javaHome: '/usr/lib/jvm/17', release: { label: 'emr-spark-8.1.0' } },
    master: 'local[*]',
    profile: LocalProfileSchema.parse({ kind: 'local' }),
    s3: { endpoint: 'http://127.0.0.1:55001', region: 'eu-west-3', accessKeyId: 'k', secretAccessKey: 's' },
    artifact: { zip: '/tmp/artifact-1/fruits_pipeline.zip', entrypoint: '/tmp/artifact-1/entrypoint.py', sha256: 'a'.repeat(64) },
    job: JobSchema.parse(job),
    input: 's3a://b/inputs/x/',
    output: 's3a://b/runs/r1/',
    weights,
    runId: 'r1',
  });
}

describe('hostConversionPlan: the job\'s own model options, the host venv, the artifact\'s code', () => {
  it('runs prepare_model with the plan\'s Python, the same zip on PYTHONPATH and the job\'s options', () => {
    const p = hostConversionPlan(submit({ imageSize: 160, engine: 'openvino', precision: 'bf16' }), '/cache/converted-models/emr-spark-8.1.0');
    expect(p.command).toBe('/cache/venv/bin/python');
    expect(p.args).toEqual([
      '-m', 'fruits_pipeline.prepare_model',
      '--weights', '/cache/weights/mobilenet.weights.h5',
      '--image-size', '160',
      '--engine', 'openvino',
      '--precision', 'bf16',
      '--model-cache', '/cache/converted-models/emr-spark-8.1.0',
    ]);
    expect(p.env.PYTHONPATH).toBe('/tmp/artifact-1/fruits_pipeline.zip');
    expect(p.modelCache).toBe('/cache/converted-models/emr-spark-8.1.0');
  });

  it('takes random:SEED as it is', () => {
    expect(hostConversionPlan(submit({}, 'random:0'), '/c').args.slice(2, 4)).toEqual(['--weights', 'random:0']);
  });

  it('refuses what the image cannot run or the host cannot key as the container does, naming the key and the fix', () => {
    expect(() => hostConversionPlan(submit({ engine: 'keras' }), '/c')).toThrow(ConfigError);
    expect(() => hostConversionPlan(submit({ engine: 'keras' }), '/c')).toThrow(/job\.engine.*--engine onnxruntime/s);
    expect(() => hostConversionPlan(submit({}, 'imagenet'), '/c')).toThrow(/job\.weights/);
    expect(() => hostConversionPlan(submit({}, 's3a://b/w.weights.h5'), '/c')).toThrow(/job\.weights/);
  });
});

describe('runHostConversion: runs the plan, shows its result line', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'host-conv-'));
  const script = (name: string, body: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, `#!/bin/sh\n${body}\n`);
    chmodSync(f, 0o755);
    return f;
  };
  const plan = (command: string) => ({ command, args: ['-m', 'x'], env: { PYTHONPATH: '/zip', TF_CPP_MIN_LOG_LEVEL: '2', PYTHONUNBUFFERED: '1' }, modelCache: '/c' });

  it('shows the result line (not the noise) and passes the plan\'s environment, not the parent\'s PYTHONPATH', async () => {
    const ok = script('ok.sh', 'echo "noise from TensorFlow" >&2\necho "converted-model cache: converted on the host in 1.0 s, entry abc (PYTHONPATH=$PYTHONPATH)"');
    const shown: string[] = [];
    const lines = await runHostConversion(plan(ok), { signal: new AbortController().signal, parentEnv: { PATH: process.env.PATH, PYTHONPATH: '/elsewhere' }, info: (l) => shown.push(l) });
    expect(lines).toEqual(['converted-model cache: converted on the host in 1.0 s, entry abc (PYTHONPATH=/zip)']);
    expect(shown).toEqual(lines);
  });

  it('a failure is a JobError carrying the error line', async () => {
    const bad = script('bad.sh', 'echo "fruits-prepare-model: error: --weights: file not found" >&2\nexit 1');
    await expect(runHostConversion(plan(bad), { signal: new AbortController().signal, parentEnv: { PATH: process.env.PATH } })).rejects.toThrow(JobError);
    await expect(runHostConversion(plan(bad), { signal: new AbortController().signal, parentEnv: { PATH: process.env.PATH } })).rejects.toThrow(/file not found/);
  });

  it('honours the AbortSignal', async () => {
    const slow = script('slow.sh', 'exec sleep 30'); // one process, as prepare_model is
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    await expect(runHostConversion(plan(slow), { signal: ac.signal, parentEnv: { PATH: process.env.PATH } })).rejects.toThrow(AbortedError);
  });
});

describe('the converter list: what the image and its build context leave out', () => {
  const list = parseConvertersList(readFileSync(path.join(root, CONVERTERS_LIST), 'utf8'));

  it('names the converters and none of what runs the job', () => {
    for (const c of ['tensorflow-cpu', 'keras', 'tf2onnx', 'onnx']) expect(list.has(c)).toBe(true);
    for (const kept of ['onnxruntime', 'openvino', 'numpy', 'pandas', 'pyarrow', 'pillow', 'pyspark', 'py4j', 'protobuf', 'flatbuffers']) expect(list.has(kept)).toBe(false);
  });

  it('every name is a distribution of each release\'s runtime lock', () => {
    for (const lock of ['pipeline/locks/emr-spark-8.1.0/requirements.lock', 'pipeline/locks/emr-7.13.0/requirements.lock']) {
      const names = new Set([...readFileSync(path.join(root, lock), 'utf8').matchAll(/^([A-Za-z0-9._-]+)==/gm)].map((m) => m[1]!.toLowerCase().replace(/[-_.]+/g, '-')));
      for (const n of list) expect(names.has(n), `${n} in ${lock}`).toBe(true);
    }
  });

  it('maps wheel files to their distribution', () => {
    expect(wheelDistribution('tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl')).toBe('tensorflow-cpu');
    expect(wheelDistribution('typing_extensions-4.16.0-py3-none-any.whl')).toBe('typing-extensions');
    expect(wheelDistribution('onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_x86_64.whl')).toBe('onnxruntime');
  });
});

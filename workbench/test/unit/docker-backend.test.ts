/** The Docker backend's pure parts (names, pins, image tag, wheelhouse, env file, driver container, engine helpers, decisions) and its label-based clean-up against a fake engine. */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { loadCompose } from '../../src/stack/docker/compose-file.js';
import type { ComposeProject } from '../../src/stack/docker/compose-engine.js';
import { buildSubmitPlan } from '../../src/job/submit-plan.js';
import { JobSchema, ClusterProfileSchema } from '../../src/config/schema.js';
import { dockerDriver, dockerSubmitArgs, driverSpec, IMAGE_PYTHON, IN_NETWORK, withModelCache } from '../../src/stack/docker/driver.js';
import { dockerOptions, isHealthy, labelFilters, publishedPort, removeLabelled } from '../../src/stack/docker/engine.js';
import { composeEnv, renderEnvFile, writeEnvFile, type ComposeEnvInput } from '../../src/stack/docker/env-file.js';
import { credentialsFingerprint, foundDockerStack, stackIsHealthy, stackShapeHash } from '../../src/stack/docker/index.js';
import { decideFound } from '../../src/stack/kept-stack.js';
import { demuxDockerLog } from '../../src/stack/docker/logs.js';
import { driverContainerName, LABEL, shapeHash, stackName } from '../../src/stack/docker/names.js';
import { releaseOfTag, removeOlderSparkImages, sparkImageTag } from '../../src/stack/docker/image.js';
import { RELEASES } from '../../src/config/releases.js';
import { ensureBaseImage } from '../../src/stack/docker/base-image.js';
import { PrerequisiteError } from '../../src/errors.js';
import { readDockerPins } from '../../src/stack/docker/pins.js';
import { lockPins, renderWheelRequirements, wheelNameVersion } from '../../src/setup/wheelhouse.js';
import { readFileSync } from 'node:fs';
import type { StackShape } from '../../src/stack/state.js';

const root = path.resolve(import.meta.dirname, '../../..');
const project: ComposeProject = { configFile: '/repo/docker-compose.yml', workingDir: '/repo', name: 'fruits-wb-0123456789' };
const cluster: StackShape = { kind: 'cluster', release: 'emr-7.13.0', region: 'eu-west-3', bucket: 'fruits-workbench', workers: 2, workerCores: 1, workerMemory: '3g' };
const local: StackShape = { kind: 'local', release: 'emr-7.13.0', region: 'eu-west-3', bucket: 'fruits-workbench', workers: 0, workerCores: 0, workerMemory: '' };
const credentials = { accessKeyId: 'wbaccess0001', secretAccessKey: 'Zm9v-YmFy_c2VjcmV0c2VjcmV0' };

describe('names', () => {
  it('one valid compose project name per checkout', () => {
    const a = stackName('/home/u/fruits');
    expect(a).toMatch(/^[a-z0-9][a-z0-9_-]*$/);
    expect(stackName('/home/u/fruits')).toBe(a);
    expect(stackName('/home/u/fruits-2')).not.toBe(a);
  });

  it('driver container names are valid whatever the run id', () => {
    expect(driverContainerName('fruits-wb-1', '20261125T200102Z-ab12cd')).toBe('fruits-wb-1-driver-20261125T200102Z-ab12cd');
    expect(driverContainerName('fruits-wb-1', 'a b/c:d')).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/);
  });

  it('the shape hash changes with the shape', () => {
    expect(shapeHash(cluster)).toBe(shapeHash({ ...cluster }));
    expect(shapeHash({ ...cluster, workers: 3 })).not.toBe(shapeHash(cluster));
  });
});

describe('pins', () => {
  it('reads the docker pins of versions.json: one base image pinned by digest, and the local fallback', () => {
    const pins = readDockerPins(root);
    expect(pins.baseImage).toMatch(/^debian:bookworm-slim@sha256:[0-9a-f]{64}$/);
    expect(pins.localBase).toMatchObject({ suite: 'bookworm', variant: 'minbase' });
    expect(pins.localBase.tag).toMatch(/^fruits-workbench\/[a-z-]+:[a-z0-9-]+$/);
  });

  it('names a missing pin', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wb-pins-'));
    writeFileSync(path.join(dir, 'versions.json'), JSON.stringify({ docker: { baseImage: 'x' } }));
    expect(() => readDockerPins(dir)).toThrow(/missing docker\.localBase\.suite/);
  });

  it('the built image tag is a valid reference that names its release and follows its inputs', () => {
    const tag = sparkImageTag('emr-7.13.0', ['dockerfile', 'wheels', 'base-id']);
    expect(tag).toMatch(/^fruits-workbench\/spark:emr-7\.13\.0-[0-9a-f]{12}$/);
    expect(sparkImageTag('emr-7.13.0', ['dockerfile', 'wheels', 'base-id'])).toBe(tag);
    expect(sparkImageTag('emr-7.13.0', ['dockerfile', 'wheels', 'other-base'])).not.toBe(tag);
  });

  it('one image per release: every release label makes a valid tag of its own, read back from the tag', () => {
    const tags = RELEASES.map((r) => sparkImageTag(r.label, ['same inputs']));
    expect(new Set(tags).size).toBe(RELEASES.length);
    for (const [i, r] of RELEASES.entries()) {
      expect(tags[i]).toMatch(/^[a-z0-9/-]+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);
      expect(releaseOfTag(tags[i]!)).toBe(r.label);
    }
    expect(releaseOfTag('fruits-workbench/spark:3.5.6-old')).toBeUndefined();
  });

  it('a kept stack of another release is never reused: the release is part of the shape label', () => {
    const [a, b] = RELEASES;
    const image = 'fruits-workbench/spark:x-000000000000';
    const keptOf = (release: string) => ({ [LABEL.role]: 'minio', [LABEL.kept]: 'true', [LABEL.shape]: stackShapeHash({ ...local, release }, image) });
    const found = (labels: Record<string, string>) => foundDockerStack({ containers: [{ Id: 'c', Labels: labels, State: 'running', Status: 'Up 1 minute (healthy)' } as Docker.ContainerInfo], networks: [] }, stackShapeHash({ ...local, release: a!.label }, image));
    expect(decideFound(found(keptOf(a!.label)))).toEqual({ action: 'reuse' });
    if (b) expect(decideFound(found(keptOf(b.label)))).toEqual({ action: 'replace' });
  });
});

describe('wheelhouse', () => {
  it('reads wheel names and versions as pip normalises them', () => {
    expect(wheelNameVersion('tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl')).toEqual({ name: 'tensorflow-cpu', version: '2.21.0' });
    expect(wheelNameVersion('pyspark-3.5.6-py2.py3-none-any.whl')).toEqual({ name: 'pyspark', version: '3.5.6' });
    expect(() => wheelNameVersion('pyspark-3.5.6.tar.gz')).toThrow(/not a wheel/);
  });

  it.each(RELEASES.map((r) => [r.label, r] as const))("reads the pins of %s's runtime lock: its pyspark is the release's Spark", (_label, r) => {
    const pins = lockPins(readFileSync(path.join(root, r.locks.runtime), 'utf8'));
    expect(pins.get('pyspark')).toBe(r.spark);
    expect(pins.size).toBeGreaterThan(10);
  });

  it('writes one hashed pin per wheel, sorted', () => {
    const text = renderWheelRequirements([
      { file: 'pyspark-3.5.6-py2.py3-none-any.whl', sha256: 'b'.repeat(64) },
      { file: 'Keras-3.15.1-py3-none-any.whl', sha256: 'a'.repeat(64) },
    ]);
    expect(text.split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([`keras==3.15.1 --hash=sha256:${'a'.repeat(64)}`, `pyspark==3.5.6 --hash=sha256:${'b'.repeat(64)}`]);
  });
});

describe('env file', () => {
  const input: ComposeEnvInput = {
    stack: 'fruits-wb-1',
    checkout: 'c1',
    profileName: 'cluster',
    shape: cluster,
    shapeHash: 'h',
    kept: false,
    ownerPid: 99,
    sparkImage: 'fruits-workbench/spark:3.5.6-abc',
    credentials,
    minioPort: 0,
  };

  it('carries the pins, the shape and the credentials; port 0 lets Docker choose', () => {
    const env = composeEnv(input);
    expect(env).toMatchObject({
      COMPOSE_PROJECT_NAME: 'fruits-wb-1',
      FRUITS_SPARK_IMAGE: 'fruits-workbench/spark:3.5.6-abc',
      FRUITS_S3_SECRET_KEY: credentials.secretAccessKey,
      FRUITS_SPARK_WORKERS: '2',
      FRUITS_WORKER_MEMORY: '3g',
      FRUITS_MINIO_PORT: '',
      FRUITS_KEPT: 'false',
      FRUITS_OWNER_PID: '99',
    });
    expect(composeEnv({ ...input, minioPort: 9100, kept: true }).FRUITS_MINIO_PORT).toBe('9100');
    expect(composeEnv({ ...input, kept: true }).FRUITS_OWNER_PID).toBe('');
    expect(composeEnv({ ...input, shape: local })).toMatchObject({ FRUITS_SPARK_WORKERS: '0', FRUITS_WORKER_CORES: '1', FRUITS_WORKER_MEMORY: '1g' });
  });

  it('single-quotes values so compose does not interpolate them, and refuses what cannot be quoted', () => {
    const text = renderEnvFile({ A: 'x$y', B: '' });
    expect(text).toContain("A='x$y'\n");
    expect(text).toContain("B=''\n");
    expect(() => renderEnvFile({ A: "it's" })).toThrow(/A contains a quote/);
    expect(() => renderEnvFile({ A: 'a\nB=b' })).toThrow(/newline/);
    expect(() => renderEnvFile({ 'bad-name': 'x' })).toThrow(/invalid variable name/);
  });

  it('is written readable by its owner only, also over an older file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wb-env-'));
    const file = path.join(dir, 'docker', 's.env');
    writeEnvFile(file, 'A=1\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const other = path.join(dir, 'old.env');
    writeFileSync(other, 'x', { mode: 0o644 });
    writeEnvFile(other, 'A=2\n');
    expect(statSync(other).mode & 0o777).toBe(0o600);
  });
});

describe('driver container', () => {
  const submit = ['--master', IN_NETWORK.clusterMaster, '--py-files', '/tmp/fruits-artifact-x/fruits_pipeline.zip', '/tmp/fruits-artifact-x/entrypoint.py', '--input', 's3a://b/in/'];
  const vars = { FRUITS_SPARK_IMAGE: 'fruits-workbench/spark:t', FRUITS_STACK: project.name, FRUITS_S3_ACCESS_KEY: credentials.accessKeyId, FRUITS_S3_SECRET_KEY: credentials.secretAccessKey };
  const model = loadCompose(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), vars);

  it('runs spark-submit as the host user in a one-off container, mounting host files read-only at the same path', () => {
    const spec = driverSpec(project, model, submit, { runId: 'r1', files: ['/tmp/fruits-artifact-x', '/cache/weights'], user: '1000:1000' });
    expect(spec.create.name).toBe('fruits-wb-0123456789-driver-r1');
    expect(spec.create.Cmd).toEqual(['/opt/spark/bin/spark-submit', ...submit]);
    expect(spec.create.User).toBe('1000:1000');
    expect(spec.create.Image).toBe('fruits-workbench/spark:t');
    expect(spec.create.HostConfig?.Binds).toEqual(['/tmp/fruits-artifact-x:/tmp/fruits-artifact-x:ro', '/cache/weights:/cache/weights:ro']);
    expect(spec.create.HostConfig?.NetworkMode).toBe('fruits-wb-0123456789_default');
    expect(spec.create.HostConfig?.PortBindings).toEqual({});
    expect(spec.create.Labels).toMatchObject({ [LABEL.role]: 'spark-driver', 'com.docker.compose.oneoff': 'True' });
    expect(spec.envKeys).toEqual(expect.arrayContaining(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']));
  });

  it("shares the release's converted-model cache: appended once to the job's arguments, mounted writable at the same path", () => {
    expect(withModelCache(submit, '/cache/converted-models/emr-a')).toEqual([...submit, '--model-cache', '/cache/converted-models/emr-a']);
    expect(withModelCache([...submit, '--model-cache', '/x'], '/cache/converted-models/emr-a')).toEqual([...submit, '--model-cache', '/x']);
    expect(withModelCache(submit, undefined)).toEqual(submit);
    const spec = driverSpec(project, model, submit, { runId: 'r1', files: ['/tmp/fruits-artifact-x'], writable: ['/cache/converted-models/emr-a'], user: '1000:1000' });
    expect(spec.create.HostConfig?.Binds).toEqual(['/tmp/fruits-artifact-x:/tmp/fruits-artifact-x:ro', '/cache/converted-models/emr-a:/cache/converted-models/emr-a']);
    const dir = mkdtempSync(path.join(tmpdir(), 'wb-model-cache-'));
    const cache = path.join(dir, 'converted-models', 'emr-a');
    const launched = dockerDriver(project, model, {} as Docker, { modelCache: cache }).launch(
      { command: 'spark-submit', args: submit, env: {}, redactedEnvKeys: [] },
      { runId: 'r1', files: [], env: {}, onCleanup: () => {} },
    );
    const run = JSON.parse(launched.plan.args.at(-1)!) as { create: Docker.ContainerCreateOptions };
    expect(run.create.Cmd?.slice(-2)).toEqual(['--model-cache', cache]);
    expect(run.create.HostConfig?.Binds).toContain(`${cache}:${cache}`);
    expect(statSync(cache).isDirectory()).toBe(true);
  });

  it('puts no credential in the create options or on the command line', () => {
    const spec = driverSpec(project, model, submit, { runId: 'r1', files: [], user: '0:0' });
    expect(JSON.stringify(spec)).not.toContain(credentials.secretAccessKey);
    const cleanups: string[] = [];
    const launched = dockerDriver(project, model, {} as Docker).launch(
      { command: 'spark-submit', args: submit, env: { AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'secret!', AWS_REGION: 'eu-west-3', JAVA_HOME: '/j' }, redactedEnvKeys: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] },
      { runId: 'r1', files: [], env: { PATH: '/bin' }, onCleanup: (_fn, label) => cleanups.push(label) },
    );
    expect(launched.plan.args.join(' ')).not.toMatch(/secret!/);
    expect(launched.plan.env).toEqual({ AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'secret!', AWS_REGION: 'eu-west-3' });
    expect(launched.plan.redactedEnvKeys).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    expect(launched.plan.args.at(-2)).toMatch(/driver-run\.ts$/);
    expect(cleanups).toEqual(['docker driver container']);
  });

  it('refuses mounts it cannot express', () => {
    expect(() => driverSpec(project, model, submit, { runId: 'r', files: ['relative/dir'], user: '0:0' })).toThrow(/must be an absolute path/);
    expect(() => driverSpec(project, model, submit, { runId: 'r', files: ['/a:b'], user: '0:0' })).toThrow(/cannot be mounted/);
  });
});

describe('engine helpers', () => {
  it('turns DOCKER_HOST / context URLs into dockerode options', () => {
    expect(dockerOptions(undefined)).toEqual({});
    expect(dockerOptions('unix:///var/run/docker.sock')).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(dockerOptions('unix:///Users/me/.colima/default/docker.sock')).toEqual({ socketPath: '/Users/me/.colima/default/docker.sock' });
    expect(dockerOptions('npipe:////./pipe/docker_engine')).toEqual({ socketPath: '//./pipe/docker_engine' });
    expect(dockerOptions('tcp://127.0.0.1:2375')).toEqual({ host: '127.0.0.1', port: '2375', protocol: 'http' });
    expect(dockerOptions('tcp://docker.local', { DOCKER_TLS_VERIFY: '1' })).toEqual({ host: 'docker.local', port: 2376, protocol: 'https' });
    expect(dockerOptions('ssh://me@build-box')).toEqual({ protocol: 'ssh', host: 'build-box', port: 22, username: 'me' });
    expect(() => dockerOptions('fd://')).toThrow(/unsupported Docker host/);
  });

  it('filters by label', () => {
    expect(labelFilters({ stack: 's1' })).toEqual({ label: [`${LABEL.stack}=s1`] });
    expect(labelFilters({ checkout: 'c', role: 'minio' })).toEqual({ label: [`${LABEL.checkout}=c`, `${LABEL.role}=minio`] });
    expect(labelFilters({})).toEqual({ label: [LABEL.stack] });
  });

  it('reads the 127.0.0.1 port Docker published, and the health in the status', () => {
    const c = {
      State: 'running',
      Status: 'Up 2 minutes (healthy)',
      Ports: [
        { PrivatePort: 9000, PublicPort: 55001, Type: 'tcp', IP: '127.0.0.1' },
        { PrivatePort: 9001, Type: 'tcp' },
      ],
    } as unknown as Docker.ContainerInfo;
    expect(publishedPort(c, 9000)).toBe(55001);
    expect(publishedPort(c, 9001)).toBeUndefined();
    expect(publishedPort({ ...c, Ports: [{ PrivatePort: 9000, PublicPort: 9000, Type: 'tcp', IP: '0.0.0.0' }] } as Docker.ContainerInfo, 9000)).toBeUndefined();
    expect(isHealthy(c)).toBe(true);
    expect(isHealthy({ ...c, Status: 'Up 3 seconds (health: starting)' })).toBe(false);
    expect(isHealthy({ ...c, State: 'exited' })).toBe(false);
  });
});

const container = (role: string, labels: Record<string, string> = {}, status = 'Up 1 minute (healthy)') =>
  ({ Id: `${role}-id`, Names: [`/${role}`], State: 'running', Status: status, Labels: { [LABEL.role]: role, ...labels } }) as unknown as Docker.ContainerInfo;

describe('what to do with an existing stack (the shared kept-stack decision on what Docker finds)', () => {
  const kept = { [LABEL.kept]: 'true', [LABEL.shape]: 'H' };
  const full = (labels: Record<string, string>) => [container('minio', labels), container('spark-master', labels), container('spark-worker', labels), container('spark-worker', labels)];
  const decide = (containers: Docker.ContainerInfo[], alive: (pid: number) => boolean = () => false) => decideFound(foundDockerStack({ containers, networks: [] }, 'H'), alive, 1000);

  it('nothing there: start', () => {
    expect(decide([])).toEqual({ action: 'none' });
  });

  it('a kept stack of the same shape: reuse when healthy (the backend judges health)', () => {
    expect(stackIsHealthy(full(kept), cluster)).toBe(true);
    expect(decide(full(kept))).toEqual({ action: 'reuse' });
  });

  it('kept but another shape: replace; a worker missing or unhealthy: not healthy, so not reused', () => {
    expect(decide(full({ ...kept, [LABEL.shape]: 'other' }))).toEqual({ action: 'replace' });
    expect(stackIsHealthy(full(kept).slice(0, 3), cluster)).toBe(false);
    const sick = [...full(kept).slice(0, 3), container('spark-worker', kept, 'Up 1 minute (unhealthy)')];
    expect(stackIsHealthy(sick, cluster)).toBe(false);
  });

  it('not kept, owner gone (a crash): replace', () => {
    expect(decide(full({ [LABEL.kept]: 'false', [LABEL.owner]: '4242', [LABEL.shape]: 'H' }))).toEqual({ action: 'replace' });
  });

  it('not kept, owner still running: refuse, naming the pid', () => {
    expect(decide(full({ [LABEL.kept]: 'false', [LABEL.owner]: '4242' }), (pid) => pid === 4242)).toEqual({ action: 'refuse', ownerPid: 4242 });
  });

  it('not kept, owned by this very process: replace (a command never waits for itself)', () => {
    expect(decide(full({ [LABEL.kept]: 'false', [LABEL.owner]: '1000' }), () => true)).toEqual({ action: 'replace' });
  });

  it('the local shape needs MinIO only', () => {
    expect(stackIsHealthy([container('minio')], local)).toBe(true);
    expect(stackIsHealthy([container('minio', {}, 'Up 1 second (health: starting)')], local)).toBe(false);
  });
});

describe('credentials fingerprint', () => {
  it('is stable, short, and does not contain the secret', () => {
    const f = credentialsFingerprint(credentials);
    expect(f).toMatch(/^[0-9a-f]{16}$/);
    expect(credentialsFingerprint({ ...credentials })).toBe(f);
    expect(credentialsFingerprint({ ...credentials, secretAccessKey: 'another-secret' })).not.toBe(f);
  });
});

describe('docker log frames', () => {
  it('concatenates stdout and stderr payloads in order', () => {
    const frame = (type: number, text: string) => {
      const payload = Buffer.from(text);
      const head = Buffer.alloc(8);
      head[0] = type;
      head.writeUInt32BE(payload.length, 4);
      return Buffer.concat([head, payload]);
    };
    expect(demuxDockerLog(Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')])).toString()).toBe('out 1\nerr 1\nout 2\n');
    expect(demuxDockerLog(Buffer.from('plain tty output\n')).toString()).toBe('plain tty output\n');
  });
});

describe('removeLabelled against a fake engine', () => {
  function fakeEngine() {
    const calls: string[] = [];
    const gone = new Set(['c-gone']);
    const notFound = () => Object.assign(new Error('no such'), { statusCode: 404 });
    const docker = {
      listContainers: async (o: { filters: { label: string[] } }) => {
        calls.push(`list containers ${o.filters.label.join(',')}`);
        return [{ Id: 'c-minio' }, { Id: 'c-gone' }];
      },
      listVolumes: async () => ({ Volumes: [{ Name: 'v-data' }], Warnings: [] }),
      listNetworks: async () => [{ Id: 'n-default' }],
      getContainer: (id: string) => ({
        remove: async (o: unknown) => {
          if (gone.has(id)) throw notFound();
          calls.push(`rm container ${id} ${JSON.stringify(o)}`);
        },
      }),
      getNetwork: (id: string) => ({ remove: async () => calls.push(`rm network ${id}`) }),
      getVolume: (name: string) => ({ remove: async () => calls.push(`rm volume ${name}`) }),
    } as unknown as Docker;
    return { docker, calls };
  }

  it('removes containers, then networks; keeps the data volume unless asked; tolerates what is already gone', async () => {
    const { docker, calls } = fakeEngine();
    expect(await removeLabelled(docker, { stack: 's1' })).toEqual({ containers: 1, networks: 1, volumes: 0 });
    expect(calls).toEqual([`list containers ${LABEL.stack}=s1`, 'rm container c-minio {"force":true,"v":true}', 'rm network n-default']);
  });

  it('removes the volume too when asked', async () => {
    const { docker, calls } = fakeEngine();
    expect(await removeLabelled(docker, { stack: 's1' }, { volumes: true })).toEqual({ containers: 1, networks: 1, volumes: 1 });
    expect(calls.at(-1)).toBe('rm volume v-data');
  });
});

describe('dockerSubmitArgs: the host plan adapted to the driver container', () => {
  const plan = buildSubmitPlan({
    tools: { python: '/cache/venv/bin/python', sparkHome: '/cache/venv/lib/pyspark', sparkSubmit: '/cache/venv/bin/spark-submit', s3aJars: ['/cache/jars/hadoop-aws.jar', '/cache/jars/sdk.jar'], s3aCredentialsProvider: 'com.amazonaws.auth.EnvironmentVariableCredentialsProvider', javaHome: '/usr/lib/jvm/17', release: { label: 'emr-7.13.0' } },
    master: IN_NETWORK.clusterMaster,
    profile: ClusterProfileSchema.parse({ kind: 'cluster' }),
    s3: { endpoint: 'http://127.0.0.1:55001', region: 'eu-west-3', ...credentials },
    artifact: { zip: '/cache/artifacts/a/fruits_pipeline.zip', entrypoint: '/cache/artifacts/a/entrypoint.py', sha256: 'a'.repeat(64) },
    job: JobSchema.parse({}),
    input: 's3a://fruits-workbench/inputs/x/',
    output: 's3a://fruits-workbench/runs/r1/',
    weights: '/cache/weights/mobilenet.h5',
    runId: 'r1',
  });
  const args = dockerSubmitArgs(plan.args);
  const conf = (a: string[]) => Object.fromEntries(a.flatMap((x, i) => (a[i - 1] === '--conf' ? [x.split(/=(.*)/s).slice(0, 2)] : [])));

  it('drops --jars and the loopback driver binding', () => {
    expect(args).not.toContain('--jars');
    expect(args.join(' ')).not.toMatch(/\/cache\/jars\//);
    expect(conf(args)['spark.driver.host']).toBeUndefined();
    expect(conf(args)['spark.driver.bindAddress']).toBeUndefined();
  });

  it("points s3a at minio:9000 and Python at the image's venv", () => {
    expect(conf(args)['spark.hadoop.fs.s3a.endpoint']).toBe('http://minio:9000');
    expect(conf(args)['spark.pyspark.python']).toBe(IMAGE_PYTHON);
    expect(conf(args)['spark.pyspark.driver.python']).toBe(IMAGE_PYTHON);
  });

  it('keeps everything else: master, memory, the other confs, the application and the job arguments', () => {
    const hostConf = conf(plan.args);
    for (const k of ['spark.executor.memory', 'spark.cores.max', 'spark.hadoop.fs.s3a.path.style.access', 'spark.hadoop.fs.s3a.aws.credentials.provider', 'spark.sql.execution.arrow.maxRecordsPerBatch']) {
      expect(conf(args)[k]).toBe(hostConf[k]);
    }
    expect(args.slice(0, 2)).toEqual(['--master', IN_NETWORK.clusterMaster]);
    const app = plan.args.indexOf('--py-files');
    expect(args.slice(args.indexOf('--py-files'))).toEqual(plan.args.slice(app));
    expect(args).toContain('/cache/weights/mobilenet.h5');
  });
});

describe('base image choice against a fake engine', () => {
  const pins = readDockerPins(root);
  const notFound = () => Object.assign(new Error('no such image'), { statusCode: 404 });
  const engine = (present: string[], pullOk: boolean) =>
    ({
      getImage: (ref: string) => ({ inspect: async () => (present.includes(ref) ? { Id: `sha256:${ref.length}` } : Promise.reject(notFound())) }),
      pull: async () => (pullOk ? {} : Promise.reject(new Error('registry-1.docker.io: no such host'))),
      modem: { followProgress: (_s: unknown, done: (err: Error | null, res: unknown[]) => void) => done(null, []) },
    }) as unknown as Docker;
  const lines: string[] = [];
  const out = { info: (l: string) => lines.push(l), warn: (l: string) => lines.push(l), result: (l: string) => lines.push(l), isTTY: false } as never;
  const o = { workDir: '/nonexistent', logFile: '/nonexistent/base.log', out, signal: new AbortController().signal };

  it('uses the pinned image when it is here, the local base when only that is', async () => {
    expect(await ensureBaseImage(engine([pins.baseImage], false), pins, o)).toMatchObject({ ref: pins.baseImage, local: false });
    expect(await ensureBaseImage(engine([pins.localBase.tag], false), pins, o)).toMatchObject({ ref: pins.localBase.tag, local: true });
    expect(lines.at(-1)).toMatch(/built locally from Debian packages/);
  });

  it('neither pullable nor debootstrap-able: one error naming both ways out', async () => {
    const err = await ensureBaseImage(engine([], false), pins, { ...o, debootstrapUnavailable: async () => 'debootstrap needs root' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrerequisiteError);
    const e = err as PrerequisiteError;
    expect(e.message).toMatch(/cannot be pulled and debootstrap needs root/);
    expect(e.message.split('\n')).toHaveLength(1);
    expect(e.fix).toMatch(/pullable.*or run as root on Linux with debootstrap/);
  });
});

describe('older Spark images', () => {
  it("removes the images of earlier inputs of the same release and unlabelled ones, keeps the current one, the other release's and those in use", async () => {
    const removed: string[] = [];
    const spark = (tag: string, release?: string) => ({ RepoTags: [`fruits-workbench/spark:${tag}`], Labels: { [LABEL.image]: 'spark', ...(release ? { [LABEL.release]: release } : {}) } });
    const docker = {
      listImages: async () => [
        spark('emr-a-new', 'emr-a'),
        spark('emr-a-old', 'emr-a'),
        spark('emr-a-inuse', 'emr-a'),
        spark('emr-b-current', 'emr-b'),
        spark('3.5.6-before-releases'),
        { RepoTags: ['someone/else:1'] },
      ],
      getImage: (t: string) => ({
        remove: async () => {
          if (t.endsWith('inuse')) throw Object.assign(new Error('conflict'), { statusCode: 409 });
          removed.push(t);
        },
      }),
    } as unknown as Docker;
    expect(await removeOlderSparkImages(docker, 'fruits-workbench/spark:emr-a-new', 'emr-a')).toEqual(['fruits-workbench/spark:emr-a-old', 'fruits-workbench/spark:3.5.6-before-releases']);
    expect(removed).toEqual(['fruits-workbench/spark:emr-a-old', 'fruits-workbench/spark:3.5.6-before-releases']);
  });
});

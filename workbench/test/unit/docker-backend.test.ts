/** The Docker backend's pure parts (names, env file, compose and driver argv, engine helpers, decisions) and its label-based clean-up against a fake engine. */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { composeArgv, composeProcessEnv, composeVersionOk, createBucketArgv, parseComposeVersion, upArgv, type ComposeProject } from '../../src/stack/docker/compose.js';
import { buildSubmitPlan } from '../../src/job/submit-plan.js';
import { JobSchema, ClusterProfileSchema } from '../../src/config/schema.js';
import { dockerSubmitArgs, driverCommand, IMAGE_PYTHON, IN_NETWORK } from '../../src/stack/docker/driver.js';
import { dockerOptions, isHealthy, labelFilters, publishedPort, removeLabelled } from '../../src/stack/docker/engine.js';
import { composeEnv, renderEnvFile, writeEnvFile, type ComposeEnvInput } from '../../src/stack/docker/env-file.js';
import { credentialsFingerprint, decideExisting, stackIsHealthy } from '../../src/stack/docker/index.js';
import { demuxDockerLog } from '../../src/stack/docker/logs.js';
import { driverContainerName, LABEL, shapeHash, stackName } from '../../src/stack/docker/names.js';
import { readDockerPins, sparkImageTag, sparkImageTagOf } from '../../src/stack/docker/pins.js';
import type { StackShape } from '../../src/stack/state.js';

const root = path.resolve(import.meta.dirname, '../../..');
const project: ComposeProject = { file: '/repo/docker-compose.yml', directory: '/repo', envFile: '/repo/.workbench/docker/s.env', name: 'fruits-wb-0123456789' };
const cluster: StackShape = { kind: 'cluster', region: 'eu-west-3', bucket: 'fruits-workbench', workers: 2, workerCores: 1, workerMemory: '3g' };
const local: StackShape = { kind: 'local', region: 'eu-west-3', bucket: 'fruits-workbench', workers: 0, workerCores: 0, workerMemory: '' };
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
  it('reads the docker pins of versions.json', () => {
    const pins = readDockerPins(root);
    expect(pins.spark).toBe('3.5.6');
    expect(pins.sparkBaseImage).toMatch(/^apache\/spark:3\.5\.6-/);
    expect(pins.minioImage).toMatch(/^minio\/minio:RELEASE\.[^@]+@sha256:[0-9a-f]{64}$/);
    expect(pins.mcImage).toMatch(/^minio\/mc:RELEASE\.[^@]+@sha256:[0-9a-f]{64}$/);
  });

  it('names a missing pin', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wb-pins-'));
    writeFileSync(path.join(dir, 'versions.json'), JSON.stringify({ spark: '3.5.6', docker: { sparkImage: 'x', minioImage: 'y' } }));
    expect(() => readDockerPins(dir)).toThrow(/missing docker\.mcImage/);
  });

  it('the built image tag is a valid reference that follows its inputs', () => {
    const tag = sparkImageTag('3.5.6', ['dockerfile', 'lock']);
    expect(tag).toMatch(/^fruits-workbench\/spark:3\.5\.6-[0-9a-f]{12}$/);
    expect(sparkImageTag('3.5.6', ['dockerfile', 'lock'])).toBe(tag);
    expect(sparkImageTag('3.5.6', ['dockerfile', 'lock2'])).not.toBe(tag);
    expect(sparkImageTagOf(root, '3.5.6')).toMatch(/^fruits-workbench\/spark:3\.5\.6-[0-9a-f]{12}$/);
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
    pins: readDockerPins(root),
    sparkImage: 'fruits-workbench/spark:3.5.6-abc',
    credentials,
    minioPort: 0,
  };

  it('carries the pins, the shape and the credentials; port 0 lets Docker choose', () => {
    const env = composeEnv(input);
    expect(env).toMatchObject({
      COMPOSE_PROJECT_NAME: 'fruits-wb-1',
      FRUITS_MINIO_IMAGE: input.pins.minioImage,
      FRUITS_SPARK_BASE_IMAGE: input.pins.sparkBaseImage,
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

describe('compose argv', () => {
  it('names the file, directory, env file and project explicitly', () => {
    expect(composeArgv(project, ['ps'])).toEqual([
      'compose', '--file', '/repo/docker-compose.yml', '--project-directory', '/repo', '--env-file', '/repo/.workbench/docker/s.env', '--project-name', 'fruits-wb-0123456789', 'ps',
    ]);
  });

  it('starts only the services of the shape, waiting for health', () => {
    expect(upArgv(local, 90)).toEqual(['up', '--detach', '--wait', '--wait-timeout', '90', 'minio']);
    expect(upArgv(cluster, 60)).toEqual(['up', '--detach', '--wait', '--wait-timeout', '60', 'minio', 'spark-master', 'spark-worker']);
    expect(createBucketArgv()).toEqual(['run', '--rm', '--no-TTY', 'create-bucket']);
  });

  it('hides COMPOSE_* and FRUITS_* shell variables from compose (they would override the env file)', () => {
    expect(composeProcessEnv({ PATH: '/bin', HOME: '/h', DOCKER_HOST: 'unix:///s', COMPOSE_PROFILES: 'x', FRUITS_S3_SECRET_KEY: 'leak' })).toEqual({
      PATH: '/bin',
      HOME: '/h',
      DOCKER_HOST: 'unix:///s',
    });
  });

  it('reads compose versions and requires 2.20+', () => {
    expect(parseComposeVersion('2.40.3')).toEqual([2, 40]);
    expect(parseComposeVersion('v2.29.1-desktop.1\n')).toEqual([2, 29]);
    expect(parseComposeVersion('dev')).toBeUndefined();
    expect(composeVersionOk([2, 20])).toBe(true);
    expect(composeVersionOk([2, 19])).toBe(false);
    expect(composeVersionOk([5, 0])).toBe(true);
    expect(composeVersionOk([1, 29])).toBe(false);
  });
});

describe('driver command', () => {
  const submit = ['--master', IN_NETWORK.clusterMaster, '--py-files', '/cache/artifacts/abc/fruits_pipeline.zip', '/cache/artifacts/abc/entrypoint.py', '--input', 's3a://b/in/'];

  it('runs spark-submit in a one-off container, mounting host files read-only at the same path', () => {
    const cmd = driverCommand(project, submit, { runId: 'r1', mounts: [{ host: '/cache/artifacts/abc' }, { host: '/home/u/.keras/models', container: IN_NETWORK.kerasModels }], env: { PATH: '/bin', FRUITS_X: 'y' } });
    expect(cmd.file).toBe('docker');
    const run = cmd.args.slice(composeArgv(project, []).length);
    expect(run).toEqual([
      'run', '--rm', '--no-deps', '--no-TTY', '--name', 'fruits-wb-0123456789-driver-r1',
      '--volume', '/cache/artifacts/abc:/cache/artifacts/abc:ro',
      '--volume', `/home/u/.keras/models:${IN_NETWORK.kerasModels}:ro`,
      'spark-driver', '/opt/spark/bin/spark-submit', ...submit,
    ]);
    expect(cmd.containerName).toBe('fruits-wb-0123456789-driver-r1');
    expect(cmd.env).toEqual({ PATH: '/bin' });
  });

  it('puts no credential on the command line', () => {
    const cmd = driverCommand(project, submit, { runId: 'r1', mounts: [], env: { AWS_SECRET_ACCESS_KEY: 'secret!' } });
    expect(cmd.args.join(' ')).not.toMatch(/secret!|AWS_/);
  });

  it('refuses mounts it cannot express', () => {
    expect(() => driverCommand(project, submit, { runId: 'r', mounts: [{ host: 'relative/dir' }], env: {} })).toThrow(/must be an absolute path/);
    expect(() => driverCommand(project, submit, { runId: 'r', mounts: [{ host: '/a:b' }], env: {} })).toThrow(/cannot be mounted/);
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

describe('what to do with an existing stack', () => {
  const want = { shapeHash: 'H', shape: cluster, pid: 1000 };
  const kept = { [LABEL.kept]: 'true', [LABEL.shape]: 'H' };
  const full = (labels: Record<string, string>) => [container('minio', labels), container('spark-master', labels), container('spark-worker', labels), container('spark-worker', labels)];

  it('nothing there: start', () => {
    expect(decideExisting([], want, () => false)).toEqual({ action: 'none' });
  });

  it('a healthy kept stack of the same shape: reuse', () => {
    expect(stackIsHealthy(full(kept), cluster)).toBe(true);
    expect(decideExisting(full(kept), want, () => false)).toEqual({ action: 'reuse' });
  });

  it('kept but another shape, or a worker missing or unhealthy: remove', () => {
    expect(decideExisting(full({ ...kept, [LABEL.shape]: 'other' }), want, () => false)).toEqual({ action: 'remove' });
    expect(decideExisting(full(kept).slice(0, 3), want, () => false)).toEqual({ action: 'remove' });
    const sick = [...full(kept).slice(0, 3), container('spark-worker', kept, 'Up 1 minute (unhealthy)')];
    expect(decideExisting(sick, want, () => false)).toEqual({ action: 'remove' });
  });

  it('not kept, owner gone (a crash): remove', () => {
    expect(decideExisting(full({ [LABEL.kept]: 'false', [LABEL.owner]: '4242', [LABEL.shape]: 'H' }), want, () => false)).toEqual({ action: 'remove' });
  });

  it('not kept, owner still running: refuse, naming the pid', () => {
    expect(decideExisting(full({ [LABEL.kept]: 'false', [LABEL.owner]: '4242' }), want, (pid) => pid === 4242)).toEqual({ action: 'refuse', ownerPid: 4242 });
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
    tools: { python: '/cache/venv/bin/python', sparkHome: '/cache/venv/lib/pyspark', sparkSubmit: '/cache/venv/bin/spark-submit', s3aJars: ['/cache/jars/hadoop-aws.jar', '/cache/jars/sdk.jar'], javaHome: '/usr/lib/jvm/17' },
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

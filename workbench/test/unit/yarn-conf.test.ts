import { describe, expect, it } from 'vitest';
import { RELEASES } from '../../src/config/releases.js';
import { JUNIT_VERSION, yarnJarsKey, yarnJarsPaths, yarnJarsPom, yarnRehearsalArtifacts } from '../../src/setup/yarn-jars.js';
import { applicationOf, isApplicationMaster } from '../../src/stack/yarn/kill-container.js';
import { clientFiles, coreSiteProperties, launcherProperties, propertiesText, yarnSubmitConf } from '../../src/stack/yarn/yarn-conf.js';
import { parseProperties } from '../../src/stack/yarn/yarn-service.js';

const ports = { rpc: 41001, scheduler: 41002, resourceTracker: 41003, admin: 41004, webapp: 41005 };
const node = { memoryMb: 12288, vcores: 4, maxAllocationMb: 12288 };

describe('launcherProperties', () => {
  const props = launcherProperties({ node, ports, tmpDir: '/state/yarn/tmp', containerEnvNames: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'PYSPARK_PYTHON'] });

  it('binds every ResourceManager address to loopback on the given ports', () => {
    expect(props['yarn.minicluster.fixed.ports']).toBe('true');
    expect(props['yarn.resourcemanager.address']).toBe('127.0.0.1:41001');
    expect(props['yarn.resourcemanager.webapp.address']).toBe('127.0.0.1:41005');
    expect(props['yarn.resourcemanager.bind-host']).toBe('127.0.0.1');
    expect(props['yarn.nodemanager.bind-host']).toBe('127.0.0.1');
    for (const [k, v] of Object.entries(props)) if (k.endsWith('.address')) expect(v, k).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('sizes the node (also through MiniYARNCluster\'s own key) and rounds containers like EMR (32 MB)', () => {
    expect(props['yarn.minicluster.yarn.nodemanager.resource.memory-mb']).toBe('12288');
    expect(props['yarn.nodemanager.resource.memory-mb']).toBe('12288');
    expect(props['yarn.nodemanager.resource.cpu-vcores']).toBe('4');
    expect(props['yarn.scheduler.minimum-allocation-mb']).toBe('32');
    expect(props['yarn.scheduler.maximum-allocation-mb']).toBe('12288');
  });

  it('turns container memory enforcement on (MiniYARNCluster turns it off by default)', () => {
    expect(props['yarn.minicluster.control-resource-monitoring']).toBe('true');
    expect(props['yarn.nodemanager.pmem-check-enabled']).toBe('true');
    expect(props['yarn.nodemanager.resource.memory.enforced']).toBe('false'); // polling monitor kills, not cgroups
    expect(props['yarn.nodemanager.vmem-check-enabled']).toBe('false');
    expect(launcherProperties({ node, ports, tmpDir: '/t', containerEnvNames: [], vmemCheck: true })['yarn.nodemanager.vmem-check-enabled']).toBe('true');
  });

  it('whitelists the container environment by name only, after YARN\'s defaults', () => {
    const list = props['yarn.nodemanager.env-whitelist']!.split(',');
    expect(list.slice(0, 2)).toEqual(['JAVA_HOME', 'HADOOP_COMMON_HOME']);
    expect(list).toEqual(expect.arrayContaining(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'PYSPARK_PYTHON']));
  });

  it('refuses a maximum allocation above the node', () => {
    expect(() => launcherProperties({ node: { ...node, maxAllocationMb: 20000 }, ports, tmpDir: '/t', containerEnvNames: [] })).toThrow(/maxAllocationMb/);
  });

  it('round-trips through java.util.Properties text', () => {
    expect(parseProperties(propertiesText(props))).toEqual(props);
    expect(parseProperties('# comment\nresourcemanager.address=localhost\\:4321\nnodemanager.webapp.port=35123\n')).toEqual({
      'resourcemanager.address': 'localhost:4321',
      'nodemanager.webapp.port': '35123',
    });
  });
});

const V1 = 'com.amazonaws.auth.EnvironmentVariableCredentialsProvider';

describe('client conf dir', () => {
  it('core-site maps s3:// to S3A on the loopback endpoint, path-style, credentials from the environment only', () => {
    const p = coreSiteProperties({ endpoint: 'http://127.0.0.1:9000', region: 'eu-west-3', credentialsProvider: V1 });
    expect(p).toMatchObject({
      'fs.s3.impl': 'org.apache.hadoop.fs.s3a.S3AFileSystem',
      'fs.AbstractFileSystem.s3.impl': 'org.apache.hadoop.fs.s3a.S3A',
      'fs.s3a.endpoint': 'http://127.0.0.1:9000',
      'fs.s3a.path.style.access': 'true',
      'fs.s3a.connection.ssl.enabled': 'false',
      'fs.s3a.aws.credentials.provider': V1,
    });
    expect(Object.keys(p).some((k) => /secret|access\.key/.test(k))).toBe(false);
    expect(() => coreSiteProperties({ endpoint: 'https://s3.eu-west-3.amazonaws.com', region: 'eu-west-3', credentialsProvider: V1 })).toThrow(/loopback/);
  });

  it('yarn-site names the ResourceManager; files are valid Hadoop XML', () => {
    const files = clientFiles(ports, { endpoint: 'http://127.0.0.1:9000', region: 'eu-west-3', credentialsProvider: V1 });
    expect(files['yarn-site.xml']).toContain('<name>yarn.resourcemanager.address</name><value>127.0.0.1:41001</value>');
    expect(files['core-site.xml']).toMatch(/^<\?xml version="1.0"[^]*<configuration>[^]*<\/configuration>\n$/);
  });

  it('spark-submit uses the pip pyspark jars in place and a loopback driver', () => {
    expect(yarnSubmitConf({ sparkHome: '/venv/site-packages/pyspark/', stagingDir: '/state/staging' })).toEqual({
      'spark.yarn.jars': 'local:/venv/site-packages/pyspark/jars/*',
      'spark.driver.host': '127.0.0.1',
      'spark.driver.bindAddress': '127.0.0.1',
      'spark.yarn.stagingDir': 'file:///state/staging',
    });
  });
});

describe('YARN jars', () => {
  it('the pom declares hadoop-minicluster at the release\'s version and junit; the cache key follows them', () => {
    const pom = yarnJarsPom(yarnRehearsalArtifacts('3.4.2'));
    expect(pom).toContain('<artifactId>hadoop-minicluster</artifactId><version>3.4.2</version>');
    expect(pom).toContain(`<artifactId>junit</artifactId><version>${JUNIT_VERSION}</version>`);
    const key = yarnJarsKey(yarnRehearsalArtifacts('3.4.2'));
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(yarnJarsKey(yarnRehearsalArtifacts('3.3.4'))).not.toBe(key);
  });

  it('keeps one jar folder per Hadoop line, so two releases\' YARN jars live side by side', () => {
    for (const r of RELEASES) expect(yarnJarsPaths('/c', r.yarnMinicluster, __filename).jarsDir).toMatch(/^\/c\/yarn\/jars-[0-9a-f]{16}$/);
    const dirs = new Set(RELEASES.map((r) => yarnJarsPaths('/c', r.yarnMinicluster, __filename).jarsDir));
    expect(dirs.size).toBe(new Set(RELEASES.map((r) => r.yarnMinicluster)).size);
    expect(dirs.size).toBeGreaterThan(1);
  });
});

describe('container ids', () => {
  it('maps a container to its application and recognises the application master', () => {
    expect(applicationOf('container_1796222861956_0003_01_000002')).toBe('application_1796222861956_0003');
    expect(applicationOf('container_e17_1796222861956_0003_01_000002')).toBe('application_1796222861956_0003');
    expect(isApplicationMaster('container_1796222861956_0003_01_000001')).toBe(true);
    expect(isApplicationMaster('container_1796222861956_0003_01_000002')).toBe(false);
    expect(() => applicationOf('application_1_2')).toThrow();
  });
});

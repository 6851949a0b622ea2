/** The EMR step on the local YARN (rehearsal/step.ts) and the shared spark-submit environment of both rehearsals. */
import { describe, expect, it } from 'vitest';
import { rehearsalSubmitPlan } from '../../src/targets/rehearsal/step.js';
import { rehearsalSubmitEnv } from '../../src/targets/rehearsal/submit-env.js';

const s3 = { region: 'eu-west-3', accessKeyId: 'AK', secretAccessKey: 'SK' };

describe('rehearsal submit', () => {
  it('the environment: MinIO credentials for S3A, the local conf, loopback driver, both Pythons; credentials redacted', () => {
    const e = rehearsalSubmitEnv({ s3, hadoopConfDir: '/conf', javaHome: '/jdk', sparkHome: '/spark', python: './environment/bin/python', driverPython: '/tmp/env/bin/python' });
    expect(e.env).toEqual({
      AWS_ACCESS_KEY_ID: 'AK',
      AWS_SECRET_ACCESS_KEY: 'SK',
      AWS_REGION: 'eu-west-3',
      HADOOP_CONF_DIR: '/conf',
      YARN_CONF_DIR: '/conf',
      JAVA_HOME: '/jdk',
      SPARK_HOME: '/spark',
      SPARK_LOCAL_IP: '127.0.0.1',
      PYSPARK_PYTHON: './environment/bin/python',
      PYSPARK_DRIVER_PYTHON: '/tmp/env/bin/python',
      PYTHONUNBUFFERED: '1',
    });
    expect(e.redactedEnvKeys).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
  });

  it('the EMR step: its arguments as planned, the local node\'s settings after the plan\'s --conf, the bootstrap\'s Python for driver and executors', () => {
    const stepArgs = ['spark-submit', '--deploy-mode', 'client', '--conf', 'spark.executor.memory=4g', '--py-files', 's3://b/a.zip', 's3://b/entry.py', '--input', 's3://b/in/'];
    const p = rehearsalSubmitPlan({ stepArgs, sparkSubmit: '/spark/bin/spark-submit', sparkHome: '/spark', javaHome: '/jdk', python: '/w/python/bin/python', s3aJars: ['/j/a.jar', '/j/b.jar'], hadoopConfDir: '/conf', conf: { 'spark.executor.instances': '2' }, s3 });
    expect(p.command).toBe('/spark/bin/spark-submit');
    expect(p.args.slice(0, 4)).toEqual(['--deploy-mode', 'client', '--conf', 'spark.executor.memory=4g']);
    expect(p.args.slice(4, 6)).toEqual(['--driver-class-path', '/j/a.jar:/j/b.jar']);
    expect(p.args).toContain('spark.executor.instances=2');
    expect(p.args).toContain('spark.pyspark.python=/w/python/bin/python');
    expect(p.args.slice(-5)).toEqual(['--py-files', 's3://b/a.zip', 's3://b/entry.py', '--input', 's3://b/in/']);
    expect(p.env).toMatchObject({ PYSPARK_PYTHON: '/w/python/bin/python', PYSPARK_DRIVER_PYTHON: '/w/python/bin/python', AWS_ACCESS_KEY_ID: 'AK' });
    expect(() => rehearsalSubmitPlan({ ...{ stepArgs: ['bash', 'x'] }, sparkSubmit: '', sparkHome: '', javaHome: '', python: '', s3aJars: [], hadoopConfDir: '', conf: {}, s3 })).toThrow(/does not start with spark-submit/);
  });
});

import { describe, expect, it } from 'vitest';
import { childEnvFrom, isInherited } from '../../src/host/child-env.js';

describe('childEnvFrom: what a Spark or Python child inherits', () => {
  it('drops what would point Spark, Python, Hadoop or AWS elsewhere, keeps the rest, and lets the plan add its own', () => {
    const parent = {
      PATH: '/usr/bin',
      HOME: '/home/u',
      SPARK_HOME: '/opt/spark',
      PYSPARK_PYTHON: '/usr/bin/python3',
      PYTHONPATH: '/elsewhere',
      PYTHONHOME: '/x',
      VIRTUAL_ENV: '/venv',
      JAVA_HOME: '/jdk8',
      HADOOP_CONF_DIR: '/etc/hadoop',
      YARN_CONF_DIR: '/etc/yarn',
      AWS_PROFILE: 'prod',
      AWS_SECRET_ACCESS_KEY: 'secret',
      UNSET: undefined,
    };
    expect(childEnvFrom(parent, { PYTHONPATH: '/job.zip', AWS_REGION: 'eu-west-1' })).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/u',
      PYTHONPATH: '/job.zip',
      AWS_REGION: 'eu-west-1',
    });
  });

  it('matches whole names only', () => {
    expect(isInherited('MY_SPARK_HOME')).toBe(true);
    expect(isInherited('PYTHONPATHX')).toBe(true);
    expect(isInherited('SPARK_LOCAL_IP')).toBe(false);
  });
});

/**
 * The environment a Spark or Python child process inherits from the workbench: the parent's, minus the variables
 * that would point Spark, Python, Hadoop or AWS somewhere else than the plan says (a user's own SPARK_HOME, an
 * activated virtualenv, a PYTHONPATH, AWS credentials meant for another account). The plan then adds its own.
 * One filter for every child (spark-submit, the host-side model conversion), so they cannot drift apart. Pure.
 */
const NOT_INHERITED = /^(AWS_.*|SPARK_.*|PYSPARK_.*|HADOOP_.*|YARN_.*|PYTHONPATH|PYTHONHOME|JAVA_HOME|VIRTUAL_ENV)$/;

/** Whether a child keeps the parent's variable `name`. */
export function isInherited(name: string): boolean {
  return !NOT_INHERITED.test(name);
}

/** The parent's variables a child keeps, then `own` on top. */
export function childEnvFrom(parent: Record<string, string | undefined>, own: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(parent)) if (v !== undefined && isInherited(k)) env[k] = v;
  return { ...env, ...own };
}

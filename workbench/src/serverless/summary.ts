/** The human summary of a Serverless plan, printed before anything happens (and by --dry-run above the JSON). Pure. */
import { VCPU_DERATE } from '../forecast/assumptions.js';
import type { ServerlessPlan } from './plan.js';

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export function summarizeServerlessPlan(plan: ServerlessPlan): string[] {
  const e = plan.estimate;
  const s = plan.sizing;
  const r = plan.release;
  const inputs = plan.uploads.filter((u) => u.role === 'input');
  const f = plan.forecast;
  return [
    `serverless plan for run ${plan.runId}`,
    `  region    ${plan.region} (EU); bucket s3://${plan.bucket}/ (private, SSE-S3 encrypted)`,
    `  release   ${r.label}: Spark ${r.emrSpark}, Python ${r.python}, Java ${r.java}; application type SPARK, ${plan.createApplication.architecture}`,
    `  driver    1 worker: ${s.driver.vcpu} vCPU, ${s.driver.memoryGb} GB (heap ${s.driver.heapMb} MB + overhead ${s.driver.overheadMb} MB), disk ${s.driver.diskGb} GB`,
    `  executors ${s.executors} workers: ${s.executor.vcpu} vCPU, ${s.executor.memoryGb} GB (heap ${s.executor.heapMb} MB + overhead ${s.executor.overheadMb} MB = JVM + ` +
      `${s.tasksPerExecutor} Python worker(s) x ${s.perWorkerMb} MB, ${s.workerPeakRssMb} MB peak x ${s.margin}), disk ${s.executor.diskGb} GB; ` +
      `${s.slots} concurrent tasks, spark.task.cpus ${s.taskCpus}`,
    `  capacity  maximumCapacity ${s.capacity.vcpu} vCPU, ${s.capacity.memoryGb} GB, ${s.capacity.diskGb} GB disk (exactly the planned workers)`,
    `  python    venv archive ${plan.venv.uri} (Python ${plan.venv.python}; ${plan.venv.sha256 ? `sha256 ${plan.venv.sha256}` : 'not built by a dry run'}) unpacked as ./environment; PYSPARK_PYTHON=./environment/bin/python`,
    `  input     ${plan.inputUri}${inputs.length ? ` (${inputs.length} images, ${mb(inputs.reduce((n, u) => n + u.bytes, 0))} to upload if changed)` : ' (used in place)'}`,
    `  artifact  sha256 ${plan.artifactSha256}`,
    `  weights   ${plan.weightsSpec}`,
    `  output    ${plan.outputUri}`,
    `  logs      ${plan.logUri} (driver stderr: applications/<app>/jobs/<run>/SPARK_DRIVER/stderr.gz)`,
    `  role      ${plan.startJobRun.executionRoleArn}${plan.roles.length ? ' (scoped to the bucket; `--create-roles` creates it)' : ''}`,
    `  teardown  the job run is cancelled past ${plan.executionTimeoutMinutes} min; the application stops after ${plan.idleTimeoutMinutes} idle min; ` +
      `the workbench stops ${plan.keepApplication ? 'it (kept: keepApplication)' : 'and deletes it'} in any case`,
    f
      ? `  forecast  ${f.images} images: ${f.step.tasks} tasks in ${f.step.waves} wave(s), ${f.billedMinutes} billed min (+${f.assumptions.phase.applicationStartMinutes} min application start, not billed); ` +
        `${f.step.ratePerCore} images/s per core x ${VCPU_DERATE} per vCPU (forecast/assumptions.ts)`
      : `  forecast  none (${inputs.length ? 'no throughput profile' : 'the s3:// input is used in place, its image count is unknown'}): the profile's plannedMinutes is priced and bounds the run`,
    `  cost      ~${e.totalEur.toFixed(2)} EUR for ${e.minutes} billed min (${e.rate.eurPerHour.toFixed(4)} EUR/h: ${e.rate.vcpu} vCPU x ${e.rate.usdPerVcpuHour} + ` +
      `${e.rate.memoryGb} GB x ${e.rate.usdPerGbHour}${e.rate.extraStorageGb ? ` + ${e.rate.extraStorageGb} GB storage x ${e.rate.usdPerStorageGbHour}` : ''} USD/h); ` +
      `worst case ${e.worstCaseEur.toFixed(2)} EUR at the ${e.worstCaseMinutes} min timeout; budget ${plan.budgetEur.toFixed(2)} EUR`,
    `            prices of ${e.priceTable.date}, 1 USD = ${e.priceTable.usdToEur} EUR; see workbench/src/serverless/prices.ts (unverified against AWS's page)`,
    ...plan.warnings.map((w) => `  warning   ${w}`),
  ];
}

/** The human summary of a promote plan, printed before anything happens (and by --dry-run above the JSON). Pure. */
import type { PromotePlan } from './plan.js';

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export function summarizePlan(plan: PromotePlan): string[] {
  const e = plan.estimate;
  const byRole = (role: string) => plan.uploads.filter((u) => u.role === role);
  const inputs = byRole('input');
  const groups = plan.runJobFlow.Instances?.InstanceGroups ?? [];
  const r = plan.release;
  return [
    `promote plan for run ${plan.runId}`,
    `  region    ${plan.region} (EU); bucket s3://${plan.bucket}/ (private, SSE-S3 encrypted)`,
    `  release   ${r.label}: Spark ${r.emrSpark}, Python ${r.python}, Java ${r.java}`,
    `  cluster   ${groups.map((g) => `${g.InstanceCount} x ${g.InstanceType} ${g.InstanceRole?.toLowerCase()} (${g.Market === 'SPOT' ? 'spot' : 'on-demand'})`).join(' + ')}`,
    `  sizing    per ${plan.sizing.instance.instanceType} core node (YARN ${plan.sizing.instance.nodeManagerMemoryMb} MB, ${plan.sizing.instance.nodeManagerVcores} vcores): ` +
      `${plan.sizing.executorsPerNode} executor(s) x ${plan.sizing.executorCores} cores, heap ${plan.sizing.executorHeapMb} MB + overhead ${plan.sizing.sparkConf['spark.executor.memoryOverhead']} ` +
      `(JVM ${plan.sizing.jvmOverheadMb} MB + ${plan.sizing.workersPerExecutor} Python worker(s) x ${plan.sizing.perWorkerMb} MB = ${plan.sizing.workerPeakRssMb} MB peak x ${plan.sizing.margin}); ` +
      `container ${plan.sizing.executorContainerMb} MB; ${plan.sizing.executorInstances} executors in all`,
    `  input     ${plan.inputUri}${inputs.length ? ` (${inputs.length} images, ${mb(inputs.reduce((s, u) => s + u.bytes, 0))} to upload if changed)` : ' (used in place)'}`,
    `  artifact  sha256 ${plan.artifactSha256}`,
    `  weights   ${plan.weightsSpec}`,
    `  output    ${plan.outputUri}`,
    `  logs      ${plan.logUri}`,
    `  teardown  the cluster ends with its step; idle auto-termination after ${plan.idleTimeoutMinutes} min; ` +
      `the workbench terminates it in any case`,
    `  cost      ~${e.totalEur.toFixed(2)} EUR for ${e.minutes} min (${e.eurPerHour.toFixed(2)} EUR/h); worst case ` +
      `${e.worstCaseEur.toFixed(2)} EUR if left to the idle timeout; budget ${plan.budgetEur.toFixed(2)} EUR`,
    `            list prices of ${e.priceTable.date}, 1 USD = ${e.priceTable.usdToEur} EUR` +
      `${groups.some((g) => g.Market === 'SPOT') ? `, spot assumed ${Math.round(e.priceTable.spotDiscount * 100)}% below on-demand` : ''}; ` +
      'see workbench/src/emr/prices.ts',
  ];
}

/** The human summary of a promote plan, printed before anything happens (and by --dry-run above the JSON). Pure. */
import { VCPU_DERATE } from '../forecast/assumptions.js';
import { formatForecastLine, formatForecastTable } from '../forecast/table.js';
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
    ...releaseLines(plan),
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
    ...forecastLines(plan),
    `  cost      ~${e.totalEur.toFixed(2)} EUR for ${Math.ceil(e.minutes)} min (${e.eurPerHour.toFixed(2)} EUR/h` +
      `${e.s3RequestsEur > 0 ? `, plus ${e.s3RequestsEur.toFixed(2)} EUR of S3 requests` : ''}); worst case ` +
      `${e.worstCaseEur.toFixed(2)} EUR if it ran to the bounded wait (${plan.plannedMinutes} min) and then the idle timeout; budget ${plan.budgetEur.toFixed(2)} EUR`,
    `            list prices of ${e.priceTable.date}, 1 USD = ${e.priceTable.usdToEur} EUR` +
      `${groups.some((g) => g.Market === 'SPOT') ? `, spot assumed ${Math.round(e.priceTable.spotDiscount * 100)}% below on-demand` : ''}; ` +
      'see workbench/src/emr/prices.ts',
  ];
}

/** The supported releases side by side (--release switches): what each runs and what it weighs. */
export function releaseLines(plan: PromotePlan): string[] {
  if (!plan.releases?.length) return [];
  return [
    '  releases  (--release LABEL; * = this plan, d = the default)',
    ...plan.releases.map((r) => {
      const mark = `${r.selected ? '*' : ' '}${r.isDefault ? 'd' : ' '}`;
      const artifact = r.artifactBytes === null ? 'artifact not built here' : `artifact ${mb(r.artifactBytes)} (${r.wheelCount} wheels) uploaded once`;
      const jars = r.s3aJarBytes === null ? `${r.s3aJarCount} s3a jars not downloaded here` : `local s3a jars ${mb(r.s3aJarBytes)} (${r.s3aJarCount})`;
      return `         ${mark} ${r.label}: Spark ${r.emrSpark}, Scala ${r.scala}, Python ${r.python}, Java ${r.java}, Hadoop ${r.hadoop}; ${artifact}; ${jars}`;
    }),
  ];
}

/** The forecast of this run, how the node count was chosen, and the table for 10k-10M images. */
export function forecastLines(plan: PromotePlan): string[] {
  const f = plan.forecast;
  const nodes = plan.coreNodes;
  const chosen = nodes.requested === 'auto' ? `; core nodes: auto, the cheapest count ending within ${nodes.targetMinutes} min: ${nodes.planned}` : '';
  if (!f) {
    return [`  forecast  none (${plan.inputUri.startsWith('s3://') && !plan.uploads.some((u) => u.role === 'input') ? 'the s3:// input is used in place, its image count is unknown' : 'no throughput profile'}): ` +
      `the profile's plannedMinutes (${plan.plannedMinutes}) is priced and bounds the wait${chosen}`];
  }
  const p = f.profile;
  return [
    `  forecast  ${formatForecastLine(f.run)}${chosen}`,
    `            from bench-results/throughput-profile.json (${p.machine.cpuModel}, ${p.machine.cores} cores, ${p.measuredAt.slice(0, 10)}): ` +
      `${f.run.step.ratePerCore} images/s per core x ${VCPU_DERATE} per vCPU (hyperthread derate, forecast/assumptions.ts); ` +
      `bounded wait ${plan.plannedMinutes} min (forecast x 1.5 + 10, within the budget)`,
    `  table     the same cluster type${nodes.requested === 'auto' ? `, core nodes auto (target ${nodes.targetMinutes} min; * = no count meets it, the fastest shown)` : ''}:`,
    ...formatForecastTable(f.table).map((l, i) => {
      const row = i > 0 ? f.table[i - 1] : undefined;
      return `            ${l}${row?.overTarget ? ' *' : ''}${row && row.totalEur > plan.budgetEur ? ' (over the budget)' : ''}`;
    }),
  ];
}

/**
 * Cost figures, computed with the plan's own functions: emr/plan.ts `instanceGroups` and emr/prices.ts
 * `estimateCost` (the dated price table), on the committed `emr` profile and two variants of it.
 */
import type { EmrProfile } from '../../config/schema.js';
import { instanceGroups } from '../../emr/plan.js';
import { estimateCost, PRICE_TABLE, type CostEstimate } from '../../emr/prices.js';
import { assertEuRegion } from '../../emr/region-guard.js';
import { emrForecaster } from '../../emr/plan.js';
import { WORKER_PEAK_RSS_MB_BY_ENGINE } from '../../emr/sizing.js';
import { THROUGHPUT_PROFILE_FILE } from '../../forecast/profile.js';
import { TABLE_SIZES } from '../../forecast/table.js';
import type { FigureSources } from '../sources.js';
import { count, eur, fixed, sourceLine, table } from '../format.js';

/** Core nodes of the committed profile (a number; 'auto' is a per-run choice, so the docs use core.count). */
export const coreNodesOf = (p: EmrProfile) => (typeof p.coreNodes === 'number' ? p.coreNodes : p.core.count);
/** The profile with `n` core nodes, whichever of the two keys the plan reads. */
const withCoreNodes = (p: EmrProfile, n: number): EmrProfile => ({ ...p, coreNodes: n, core: { ...p.core, count: n } });

export const estimateFor = (p: EmrProfile): CostEstimate =>
  estimateCost({ region: assertEuRegion(p.region), groups: instanceGroups(p), minutes: p.plannedMinutes, idleTimeoutMinutes: p.idleTimeoutMinutes });

export const describeCluster = (p: EmrProfile) =>
  `${p.master.count} master + ${coreNodesOf(p)} core ${p.core.instanceType === p.master.instanceType ? p.core.instanceType : `${p.core.instanceType} (master ${p.master.instanceType})`}, ${p.spot ? 'spot core nodes' : 'on-demand'}`;

const priceNote = () =>
  `price table of ${PRICE_TABLE.date} in \`workbench/src/emr/prices.ts\` (EC2 on-demand + EMR uplift + EBS, ${PRICE_TABLE.usdToEur} EUR per USD, spot ${Math.round(PRICE_TABLE.spotDiscount * 100)}% off EC2)`;

/** The critical review's table: the profile as committed, twice the core nodes, and spot core nodes. */
export function emrCost(s: FigureSources): string {
  const p = s.emrProfile();
  const variants: [string, EmrProfile][] = [
    [`${describeCluster(p)} (the \`emr\` profile)`, p],
    [describeCluster(withCoreNodes(p, coreNodesOf(p) * 2)), withCoreNodes(p, coreNodesOf(p) * 2)],
  ];
  if (!p.spot) variants.push([describeCluster({ ...p, spot: true }), { ...p, spot: true }]);
  const rows = variants.map(([label, v]) => {
    const e = estimateFor(v);
    return [label, fixed(e.eurPerHour, 2), fixed(e.totalEur, 2), fixed(e.worstCaseEur, 2)];
  });
  return [
    table([`cluster (${p.region})`, 'EUR per hour', `${p.plannedMinutes} min (\`plannedMinutes\`, priced when there is no forecast)`, `worst case (+${p.idleTimeoutMinutes} min idle timeout)`], rows),
    '',
    sourceLine(`\`estimateCost\` (the function the plan and the budget guard use) on the \`emr\` profile of \`workbench.yaml\`, ${priceNote()}`),
  ].join('\n');
}

/** docs/promote.md's sentences on what the default cluster costs per hour, and what a small run is forecast to take. */
export function promoteCost(s: FigureSources): string {
  const p = s.emrProfile();
  const onDemand = estimateFor(p);
  const spot = estimateFor({ ...p, spot: true });
  const throughput = s.throughput();
  const engine = s.engine();
  const small = throughput ? emrForecaster(p, throughput, engine, WORKER_PEAK_RSS_MB_BY_ENGINE[engine])(coreNodesOf(p), TABLE_SIZES[0]) : undefined;
  const min = (x: number) => fixed(x, x < 10 ? 1 : 0);
  return [
    `For the default cluster (${p.master.count} master + ${coreNodesOf(p)} core ${p.core.instanceType}) that is ${eur(onDemand.eurPerHour)} per hour in ${p.region}` +
      `${p.spot ? '' : `, ${eur(spot.eurPerHour)} per hour with spot core nodes`}. Without a forecast (no throughput profile, or an \`s3://\` input ` +
      `of unknown size), the plan prices \`plannedMinutes\` (${p.plannedMinutes} min: ${eur(onDemand.totalEur)}, ${eur(onDemand.worstCaseEur)} in the worst case with the ` +
      `${p.idleTimeoutMinutes} min idle timeout).` +
      (small
        ? ` With one, it prices the forecast run: ${count(small.images)} images, for example, are forecast at ${min(small.totalMinutes)} min of cluster time ` +
          `(provisioning ${min(small.phases.provisioning.minutes)}, bootstrap ${min(small.phases.bootstrap.minutes)}, step ${min(small.phases.step.minutes)}, ` +
          `teardown ${min(small.phases.teardown.minutes)}), ${eur(small.totalEur)}; most of it is start-up, whatever the input.`
        : ''),
    '',
    sourceLine(`\`estimateCost\`${small ? ' and `emrForecaster`' : ''} on the \`emr\` profile of \`workbench.yaml\`${small ? ` and \`${THROUGHPUT_PROFILE_FILE}\`` : ''}, ${priceNote()}`),
  ].join('\n');
}

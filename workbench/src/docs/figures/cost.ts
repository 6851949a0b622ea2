/**
 * Cost figures, computed with the plan's own functions: emr/plan.ts `instanceGroups` and emr/prices.ts
 * `estimateCost` (the dated price table), on the committed `emr` profile and two variants of it.
 */
import type { EmrProfile } from '../../config/schema.js';
import { instanceGroups } from '../../emr/plan.js';
import { estimateCost, PRICE_TABLE, type CostEstimate } from '../../emr/prices.js';
import { assertEuRegion } from '../../emr/region-guard.js';
import type { FigureSources } from '../sources.js';
import { eur, fixed, sourceLine, table } from '../format.js';

export const estimateFor = (p: EmrProfile): CostEstimate =>
  estimateCost({ region: assertEuRegion(p.region), groups: instanceGroups(p), minutes: p.plannedMinutes, idleTimeoutMinutes: p.idleTimeoutMinutes });

export const describeCluster = (p: EmrProfile) =>
  `${p.master.count} master + ${p.core.count} core ${p.core.instanceType === p.master.instanceType ? p.core.instanceType : `${p.core.instanceType} (master ${p.master.instanceType})`}, ${p.spot ? 'spot core nodes' : 'on-demand'}`;

const priceNote = () =>
  `price table of ${PRICE_TABLE.date} in \`workbench/src/emr/prices.ts\` (EC2 on-demand + EMR uplift + EBS, ${PRICE_TABLE.usdToEur} EUR per USD, spot ${Math.round(PRICE_TABLE.spotDiscount * 100)}% off EC2)`;

/** The critical review's table: the profile as committed, twice the core nodes, and spot core nodes. */
export function emrCost(s: FigureSources): string {
  const p = s.emrProfile();
  const variants: [string, EmrProfile][] = [
    [`${describeCluster(p)} (the \`emr\` profile)`, p],
    [describeCluster({ ...p, core: { ...p.core, count: p.core.count * 2 } }), { ...p, core: { ...p.core, count: p.core.count * 2 } }],
  ];
  if (!p.spot) variants.push([describeCluster({ ...p, spot: true }), { ...p, spot: true }]);
  const rows = variants.map(([label, v]) => {
    const e = estimateFor(v);
    return [label, fixed(e.eurPerHour, 2), fixed(e.totalEur, 2), fixed(e.worstCaseEur, 2)];
  });
  return [
    table([`cluster (${p.region})`, 'EUR per hour', `${p.plannedMinutes} planned min`, `worst case (+${p.idleTimeoutMinutes} min idle timeout)`], rows),
    '',
    sourceLine(`\`estimateCost\` (the function the plan and the budget guard use) on the \`emr\` profile of \`workbench.yaml\`, ${priceNote()}`),
  ].join('\n');
}

/** docs/promote.md's sentence on what the default cluster costs per hour. */
export function promoteCost(s: FigureSources): string {
  const p = s.emrProfile();
  const onDemand = estimateFor(p);
  const spot = estimateFor({ ...p, spot: true });
  return [
    `For the default cluster (${p.master.count} master + ${p.core.count} core ${p.core.instanceType}) that is ${eur(onDemand.eurPerHour)} per hour in ${p.region}` +
      `${p.spot ? '' : `, ${eur(spot.eurPerHour)} per hour with spot core nodes`}; the planned ${p.plannedMinutes} minutes cost ${eur(onDemand.totalEur)}, ` +
      `${eur(onDemand.worstCaseEur)} in the worst case (+${p.idleTimeoutMinutes} min idle timeout).`,
    '',
    sourceLine(`\`estimateCost\` on the \`emr\` profile of \`workbench.yaml\`, ${priceNote()}`),
  ].join('\n');
}

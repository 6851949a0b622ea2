/**
 * The EU guard: the data (images, features) and the compute stay in an EU region (GDPR). Called first, before
 * any AWS client exists, so a refused region never sees a single request. London (eu-west-2) and Zurich
 * (eu-central-2) are in Europe but outside the EU and are refused too. Pure.
 */
import { EU_REGIONS, type EuRegion } from '../config/schema.js';
import { PlanRefusedError } from '../errors.js';

export { EU_REGIONS };

/** Europe-named regions that are *not* in the EU, named in the refusal so the reason is clear. */
const NON_EU_EUROPE: Record<string, string> = {
  'eu-west-2': 'London, United Kingdom',
  'eu-central-2': 'Zurich, Switzerland',
};

export function isEuRegion(region: string): region is EuRegion {
  return (EU_REGIONS as readonly string[]).includes(region);
}

/** Returns the region typed as an EU region, or throws PlanRefusedError saying why and what to use. */
export function assertEuRegion(region: string, what = 'the EMR cluster, its bucket and logs'): EuRegion {
  if (isEuRegion(region)) return region;
  const where = NON_EU_EUROPE[region];
  const why = where
    ? `${region} (${where}) is in Europe but outside the EU`
    : `${JSON.stringify(region)} is not an EU region`;
  throw new PlanRefusedError(
    `refused: ${why}. The images and everything derived from them must stay in the EU (GDPR), so ${what} ` +
      `may only live in ${EU_REGIONS.join(', ')}. Nothing was sent to AWS.`,
    `pass --region with one of ${EU_REGIONS.join(', ')} (or set profiles.<emr>.region in workbench.yaml)`,
  );
}

/**
 * EMR release label -> what it runs, for plans: the supported releases are data (config/releases.ts, from
 * versions.json `releases`). A label outside that table has no locks and no local Spark to compare against, so a
 * plan that names one (a hand-edited plan file) is refused. Pure.
 */
import { PlanRefusedError } from '../errors.js';
import { RELEASE_LABELS, findRelease, type Release } from '../config/releases.js';

export type EmrRelease = Release;

/** The release for `label`; PlanRefusedError naming the supported labels otherwise. */
export function releaseFor(label: string): EmrRelease {
  const release = findRelease(label);
  if (!release) {
    throw new PlanRefusedError(
      `refused: EMR release ${JSON.stringify(label)} is not in the workbench's release table (versions.json releases), so there is no lock or local Spark for it`,
      `use --release ${RELEASE_LABELS.join(' | ')}, or add the release to versions.json with its locks (pipeline/README.md)`,
    );
  }
  return release;
}

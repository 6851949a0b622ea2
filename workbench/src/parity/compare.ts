/**
 * Runs the check layers in order over two loaded runs. A failing layer stops the comparison (unless allLayers):
 * comparing features of runs with different weights only buries the real reason under noise. Skipped layers are
 * still listed, so the table always shows all five.
 */
import type { ParityTolerances } from '../config/schema.js';
import { LAYER_NAMES, type CheckResult, type Layer } from './check-result.js';
import { countChecks } from './checks/counts.js';
import { featureChecks } from './checks/features.js';
import { keyChecks } from './checks/keys.js';
import { pcaChecks } from './checks/pca.js';
import { provenanceChecks } from './checks/provenance.js';
import type { RunData } from '../outputs/run-data.js';

type LayerRun = (a: RunData, b: RunData, tol: ParityTolerances) => CheckResult[];

export const LAYERS: { layer: Layer; run: LayerRun }[] = [
  { layer: 1, run: provenanceChecks },
  { layer: 2, run: keyChecks },
  { layer: 3, run: countChecks },
  { layer: 4, run: featureChecks },
  { layer: 5, run: pcaChecks },
];

export interface CompareOptions {
  /** Run every layer even after one fails (to see how far apart two deliberately different runs are). */
  allLayers?: boolean;
}

export interface Comparison {
  checks: CheckResult[];
  passed: boolean;
  /** The first layer with a failing check, if any. */
  failedLayer?: Layer;
}

export function compareRuns(a: RunData, b: RunData, tol: ParityTolerances, opts: CompareOptions = {}): Comparison {
  const checks: CheckResult[] = [];
  let failedLayer: Layer | undefined;
  for (const { layer, run } of LAYERS) {
    if (failedLayer !== undefined && !opts.allLayers) {
      checks.push({
        name: LAYER_NAMES[layer], layer, status: 'skip', measured: null, tolerance: null,
        detail: `skipped: layer ${failedLayer} (${LAYER_NAMES[failedLayer]}) failed`,
      });
      continue;
    }
    const results = run(a, b, tol);
    checks.push(...results);
    if (failedLayer === undefined && results.some((r) => r.status === 'fail')) failedLayer = layer;
  }
  return { checks, passed: failedLayer === undefined, failedLayer };
}

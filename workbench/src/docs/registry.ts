/**
 * Which figure blocks exist, what renders each, and where each must appear. A block name in a doc that is not
 * here is an error (a typo would otherwise leave a figure unchecked), and so is a required block gone missing.
 */
import { artifactRecipe } from './figures/artifact.js';
import { benchSummary, endToEnd, featurize, scale } from './figures/bench.js';
import { emrCost, promoteCost } from './figures/cost.js';
import { workerMemory, workerPeakRss } from './figures/memory.js';
import { costPerMillion } from './figures/per-million.js';
import { releasesTable } from './figures/releases.js';
import type { FigureSources } from './sources.js';

export type Generator = (sources: FigureSources) => string;

export const GENERATORS: Record<string, Generator> = {
  'end-to-end': endToEnd,
  featurize,
  scale,
  'bench-summary': benchSummary,
  'worker-memory': workerMemory,
  'worker-peak-rss': workerPeakRss,
  'emr-cost': emrCost,
  'promote-cost': promoteCost,
  'cost-per-million': costPerMillion,
  'artifact-recipe': artifactRecipe,
  releases: releasesTable,
};

/** The docs with figures, relative to the repo root, and the blocks each must hold. */
export const DOCS_WITH_FIGURES: Record<string, string[]> = {
  'README.md': ['bench-summary', 'releases'],
  'docs/critical-review.md': ['end-to-end', 'featurize', 'scale', 'worker-memory', 'emr-cost', 'cost-per-million'],
  'docs/promote.md': ['promote-cost', 'releases'],
  'pipeline/README.md': ['worker-peak-rss'],
  'docs/job-contract.md': ['artifact-recipe'],
};

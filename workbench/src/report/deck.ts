/**
 * The defence deck from a run: slides/deck.md (Marp Markdown in the repo) with its {{field}} placeholders
 * filled from the same ReportModel as report.html, and {{fig:<plot>}} replaced by the report's own figure as a
 * data: URI image (so deck.html is one file), or by a pointer to report.html when no browser drew the figures.
 * Pure: template, model and figure bytes in, Markdown out.
 */
import type { ReportModel } from './model.js';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const secs = (s: number) => (s < 10 ? `${s.toFixed(1)} s` : s < 120 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`);

export interface DeckFacts {
  /** EMR release the workbench pins (versions.json emr.releaseLabel). */
  emrRelease: string;
}

/** Every {{field}} the deck may use, from the run. */
export function deckFields(m: ReportModel, facts: DeckFacts): Record<string, string> {
  const versions = Object.fromEntries(m.provenance.versions);
  const c = m.cost;
  const cost = c
    ? `estimated ${c.estimatedEur?.toFixed(2) ?? '-'} EUR (plan), elapsed ${c.elapsedEur?.toFixed(2) ?? '-'} EUR for ${c.elapsedMinutes?.toFixed(1) ?? '-'} min`
    : `this run ran on the ${m.where.profile ?? 'local'} profile: 0 EUR of cloud; an EMR plan is priced by \`npm run promote -- --dry-run\``;
  return {
    run_id: m.runId,
    inputs: String(m.counts.inputs),
    features: String(m.counts.features),
    errors: String(m.counts.errors),
    featurized: m.counts.featurized === null ? 'not recorded' : String(m.counts.featurized),
    classes: String(m.classes.length),
    input_uri: m.inputUri,
    k: String(m.variance.k),
    kept: pct(m.variance.kept),
    threshold: m.variance.threshold === null ? `a fixed k` : `${pct(m.variance.threshold)} of the variance`,
    standardize: m.provenance.settings.some(([n, v]) => n === 'pca_standardize' && v === 'true') ? 'centred and scaled to unit variance' : 'centred (not scaled)',
    broadcast_mib: m.provenance.broadcastBytes === null ? 'not recorded' : (m.provenance.broadcastBytes / 1024 / 1024).toFixed(1),
    weights: m.provenance.weightsSpec.replace(/^.*\//, ''),
    weights_meaningful: m.provenance.weightsMeaningful ? 'ImageNet weights: meaningful features' : '**random weights: NOT meaningful**, pipeline check only',
    artifact_sha: (m.provenance.artifactSha256 ?? 'none').slice(0, 12),
    region: m.where.region ?? 'not recorded',
    profile: m.where.profile ?? 'unknown',
    eu_statement: m.where.statement,
    spark: versions.spark ?? '?',
    python: versions.python ?? '?',
    emr_release: facts.emrRelease,
    timings: m.timings.map((t) => `${t.stage} ${secs(t.seconds)}`).join(', '),
    total_s: m.totalSeconds === null ? '-' : secs(m.totalSeconds),
    cost,
    parity: m.parity ? `${m.parity.outcome === 'pass' ? 'parity holds' : 'parity FAILED'} against ${m.parity.against}` : 'no parity report for this run',
  };
}

export interface FilledDeck {
  markdown: string;
  /** Fields used by the template that the run does not give (left visible as {{name}}). */
  unknownFields: string[];
  /** Figures the template wants that were not drawn (replaced by a pointer to report.html). */
  missingFigures: string[];
}

/** Fills the template. `figures` maps a plot name to a data: URI (PNG). */
export function fillDeck(template: string, fields: Record<string, string>, figures: Record<string, string>): FilledDeck {
  const unknownFields = new Set<string>();
  const missingFigures = new Set<string>();
  const markdown = template
    .replace(/\{\{fig:([a-z0-9-]+)\}\}/g, (_all, name: string) => {
      const uri = figures[name];
      if (uri) return `![w:540](${uri})`;
      missingFigures.add(name);
      return `*(plot “${name}”: see report.html beside this deck)*`;
    })
    .replace(/\{\{([a-z_]+)\}\}/g, (all, name: string) => {
      const v = fields[name];
      if (v === undefined) {
        unknownFields.add(name);
        return all;
      }
      return v;
    });
  return { markdown, unknownFields: [...unknownFields], missingFigures: [...missingFigures] };
}

/** Slides in a Marp deck: `---` separators outside the front matter and code fences, plus one. */
export function countSlides(markdown: string): number {
  const lines = markdown.split('\n');
  let i = 0;
  if (lines[0]?.trim() === '---') {
    i = lines.findIndex((l, j) => j > 0 && l.trim() === '---') + 1;
  }
  let slides = 1;
  let fenced = false;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\s*```/.test(line)) fenced = !fenced;
    else if (!fenced && line.trim() === '---') slides++;
  }
  return slides;
}

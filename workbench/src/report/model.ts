/**
 * What report.html shows, as plain data: built from a run's RunData (outputs/) and the optional files found
 * beside it (a parity report, a promote plan). Pure, so the unit tests check every figure without a browser;
 * html.ts only lays this out and the browser script only draws it.
 */
import { EU_REGIONS } from '../config/schema.js';
import { broadcastOf } from '../job/manifest.js';
import type { RunData } from '../outputs/run-data.js';
import { compareRank, keyRank } from '../outputs/sample.js';
import { costOf, type CostView, type PromotePlanLike } from './cost.js';
import type { ParityReportLike } from './extras.js';
import { CLOUD_TARGETS, type RunRecord, type RunTarget } from '../run/run-record.js';

export interface ScatterPoint {
  key: string;
  label: string;
  pc1: number;
  pc2: number | null;
  pc3: number | null;
}

export interface ClassCount {
  label: string;
  images: number;
  errors: number;
}

export interface WhereView {
  /** The target that ran it (run.json); null for a run folder from before run.json that nothing else explains. */
  target: RunTarget | null;
  /** Profile name (local, cluster, emr, or what the config calls it); null when it cannot be told. */
  profile: string | null;
  region: string | null;
  /** True when the region is one of the EU regions the workbench accepts (GDPR). */
  inEu: boolean | null;
  statement: string;
}

export interface ParityView {
  outcome: 'pass' | 'fail';
  failedLayer: string | null;
  /** The other run of the comparison: run id and location. */
  against: string;
  summary: Record<string, number>;
  checks: { name: string; status: string; measured: string; tolerance: string; detail: string }[];
  file: string;
}

export interface ReportModel {
  runId: string;
  location: string;
  generatedAt: string;
  startedAt: string;
  finishedAt: string;
  inputUri: string;
  outputUri: string;
  provenance: {
    artifactSha256: string | null;
    codeSha256: string | null;
    weightsSpec: string;
    weightsSource: string;
    weightsSha256: string;
    /** False: random weights, features only exercise the pipeline. */
    weightsMeaningful: boolean;
    /** What the driver broadcast to the executors: the converted model (engine.broadcast_bytes; older runs: weights). */
    broadcastBytes: number | null;
    /** What broadcastBytes measures, and which manifest field it came from. */
    broadcastLabel: string | null;
    versions: [string, string][];
    sparkMaster: string | null;
    settings: [string, string][];
  };
  where: WhereView;
  counts: { inputs: number; features: number; errors: number; featurized: number | null; consistent: boolean };
  errors: { key: string; label: string; reason: string }[];
  variance: {
    k: number;
    kMode: string;
    threshold: number | null;
    kept: number;
    /** Components fitted (all of them: 1280 for MobileNetV2 features, or fewer when there are fewer images). */
    fitted: number;
    /** The first `shown` ratios and cumulative values (the bar chart shows these). */
    ratios: number[];
    cumulative: number[];
  };
  /** The points drawn: every image, or (beyond limits.scatterPoints) the seeded sample that scatterSample states. */
  scatter: ScatterPoint[];
  /** Set when the scatter shows a sample: how many points, of how many images, and the seed that chose them. */
  scatterSample: { shown: number; of: number; seed: number } | null;
  /** Images and errors per class, counted over all rows (streamed), never over a sample. */
  classes: ClassCount[];
  /** Job stages in the manifest's order, without the total. */
  timings: { stage: string; seconds: number }[];
  totalSeconds: number | null;
  cost: CostView | null;
  parity: ParityView | null;
  warnings: string[];
}

export interface ReportInputs {
  run: RunData;
  /** Profiles from the config (name -> kind and region), to tell where a run ran from its Spark master. */
  profiles?: Record<string, { kind: string; region: string }>;
  plan?: PromotePlanLike;
  parity?: { file: string; report: ParityReportLike };
  /** run.json: which target ran the run. */
  record?: RunRecord;
  now?: Date;
}

/** The config's profiles as the report needs them (name -> kind and region). */
export function reportProfiles(profiles: Record<string, { kind: string; region: string }>): NonNullable<ReportInputs['profiles']> {
  return Object.fromEntries(Object.entries(profiles).map(([name, p]) => [name, { kind: p.kind, region: p.region }]));
}

const isEu = (region: string) => (EU_REGIONS as readonly string[]).includes(region);

/**
 * The target that ran the run: run.json says so. A folder from before run.json with a promote plan beside it was a
 * promote, or a rehearsal when its promote-outcome.json says so; without either, the target is not known.
 */
export function targetOf(record: RunRecord | undefined, plan: PromotePlanLike | undefined): RunTarget | null {
  if (record) return record.target;
  if (plan) return (plan.outcome as { rehearsal?: unknown } | undefined)?.rehearsal === true ? 'rehearsal' : 'emr';
  return null;
}

/** Where the run ran, from its target (never guessed from the Spark master); regions from the plan or the config. */
export function whereRan(target: RunTarget | null, record: RunRecord | undefined, profiles: ReportInputs['profiles'], plan?: PromotePlanLike): WhereView {
  const profile = record?.profile ?? (plan ? (plan.profileName ?? 'emr') : null);
  if (target === 'rehearsal') {
    return {
      target, profile, region: null, inEu: null,
      statement: 'A rehearsal: data and compute stayed on this machine (MinIO stood in for S3, a local YARN for EMR); nothing ran in AWS and nothing was paid.',
    };
  }
  let region: string | null = null;
  if (target !== null && CLOUD_TARGETS.includes(target)) region = record?.region ?? plan?.region ?? null;
  else if (profile !== null) region = profiles?.[profile]?.region ?? null;
  const inEu = region === null ? null : isEu(region);
  const statement =
    target === null
      ? 'Where this run ran is not recorded (a run folder from before run.json); the workbench only accepts EU regions (GDPR) for its profiles.'
      : inEu === true
        ? `Data and compute stayed in ${region}, an EU region (GDPR): the workbench refuses any region outside the EU before it creates a client.`
        : inEu === false
          ? `WARNING: region ${region} is not an EU region; the GDPR constraint of the brief is not met.`
          : 'The region of this run is not recorded; the workbench only accepts EU regions (GDPR) for its profiles.';
  return { target, profile, region, inEu, statement };
}

/** Bars shown: every kept component plus some beyond k, so the elbow is visible; never all 1280. */
export function shownComponents(k: number, fitted: number): number {
  return Math.min(fitted, Math.max(20, k + Math.max(10, Math.ceil(k / 4))));
}

function cumulativeOf(ratios: number[]): number[] {
  let sum = 0;
  return ratios.map((r) => (sum += r));
}

function parityView(file: string, r: ParityReportLike, runId: string): ParityView {
  const other = r.a?.run_id === runId ? r.b : r.a;
  const text = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
  return {
    outcome: r.outcome,
    failedLayer: r.failed_layer ? `${r.failed_layer.layer} (${r.failed_layer.name})` : null,
    against: other ? `${other.run_id} (${other.location})` : 'another run',
    summary: r.summary ?? {},
    checks: (r.checks ?? []).map((c) => ({ name: c.name, status: c.status, measured: text(c.measured), tolerance: text(c.tolerance), detail: text(c.detail) })),
    file,
  };
}

export function buildReportModel(inputs: ReportInputs): ReportModel {
  const { run } = inputs;
  const m = run.manifest;
  const target = targetOf(inputs.record, inputs.plan);
  const ev = run.explainedVariance;
  const k = m.pca.k;

  // A browser cannot use a million points: beyond scatterPoints, the lowest-ranked keys (the reader's seeded
  // sample rule, so the points are among the keys parity compared), stated in the titles.
  const { scatterPoints, seed } = run.limits;
  const ranked = [...run.pca.entries()].map(([key, row]) => ({ rank: keyRank(key, seed), row }));
  const shownRows = ranked.length > scatterPoints ? ranked.sort((x, y) => compareRank(x.rank, y.rank)).slice(0, scatterPoints) : ranked;
  const scatter: ScatterPoint[] = shownRows
    .map(({ rank: { key }, row }) => ({ key, label: row.label, pc1: row.pca[0]!, pc2: row.pca[1] ?? null, pc3: row.pca[2] ?? null }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const pcaRows = run.tables.pca.rows;
  const scatterSample = scatter.length < pcaRows ? { shown: scatter.length, of: pcaRows, seed } : null;

  const perClass = new Map<string, ClassCount>();
  const bump = (label: string, field: 'images' | 'errors', n: number) => {
    const c = perClass.get(label) ?? { label, images: 0, errors: 0 };
    c[field] += n;
    perClass.set(label, c);
  };
  for (const [label, n] of run.tables.features.labels) bump(label, 'images', n);
  for (const [label, n] of run.tables.errors.labels) bump(label, 'errors', n);
  const classes = [...perClass.values()].sort((a, b) => a.label.localeCompare(b.label));

  const errors = [...run.errors.entries()]
    .map(([key, row]) => ({ key, label: row.label, reason: row.reason }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));

  const fitted = ev.ratios.length;
  const shown = shownComponents(k, fitted);
  const cumulative = ev.cumulative && ev.cumulative.length === fitted ? ev.cumulative : cumulativeOf(ev.ratios);
  const timingsRaw = (m.timings_s ?? {}) as Record<string, number>;
  const timings = Object.entries(timingsRaw)
    .filter(([stage, s]) => stage !== 'total' && typeof s === 'number')
    .map(([stage, seconds]) => ({ stage, seconds }));

  const warnings: string[] = [];
  const raw = m as Record<string, unknown>;
  if (Array.isArray(raw.warnings)) for (const w of raw.warnings) warnings.push(String(w));
  const broadcast = broadcastOf(m);
  const meaningful = m.weights.meaningful !== false;
  if (!meaningful && warnings.length === 0) {
    warnings.push(`weights ${m.weights.spec} are not meaningful: the features and the PCA only exercise the pipeline`);
  }
  const counts = m.counts;
  const consistent = counts.inputs === counts.features + counts.errors && run.rows.features === counts.features;
  if (!consistent) {
    warnings.push(
      `counts disagree: manifest says ${counts.inputs} inputs = ${counts.features} features + ${counts.errors} errors, ` +
        `the outputs hold ${run.rows.features} feature rows and ${run.rows.errors} error rows`,
    );
  }

  const versions = Object.entries(m.versions)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([name, v]) => [name, String(v)] as [string, string]);
  const settings = Object.entries(m.settings).map(([name, v]) => [name, v === null ? 'null' : String(v)] as [string, string]);

  return {
    runId: m.run_id,
    location: run.location,
    generatedAt: (inputs.now ?? new Date()).toISOString(),
    startedAt: m.started_at,
    finishedAt: m.finished_at,
    inputUri: m.input_uri,
    outputUri: m.output_uri,
    provenance: {
      artifactSha256: m.artifact.sha256,
      codeSha256: m.artifact.code_sha256 ?? null,
      weightsSpec: m.weights.spec,
      weightsSource: m.weights.source,
      weightsSha256: m.weights.sha256,
      weightsMeaningful: meaningful,
      broadcastBytes: broadcast?.bytes ?? null,
      broadcastLabel: broadcast?.what ?? null,
      versions,
      sparkMaster: typeof m.spark?.master === 'string' ? m.spark.master : null,
      settings,
    },
    where: whereRan(target, inputs.record, inputs.profiles, inputs.plan),
    counts: {
      inputs: counts.inputs,
      features: counts.features,
      errors: counts.errors,
      featurized: typeof counts.featurized === 'number' ? counts.featurized : null,
      consistent,
    },
    errors,
    variance: {
      k,
      kMode: m.pca.k_mode,
      threshold: m.pca.variance_threshold ?? null,
      kept: ev.kept ?? cumulative[k - 1] ?? 0,
      fitted,
      ratios: ev.ratios.slice(0, shown),
      cumulative: cumulative.slice(0, shown),
    },
    scatter,
    scatterSample,
    classes,
    timings,
    totalSeconds: typeof timingsRaw.total === 'number' ? timingsRaw.total : null,
    // Only a run in AWS cost money: a rehearsal carries the plan it rehearsed, not a bill.
    cost: inputs.plan && target !== null && CLOUD_TARGETS.includes(target) ? costOf(inputs.plan, m) : null,
    parity: inputs.parity ? parityView(inputs.parity.file, inputs.parity.report, m.run_id) : null,
    warnings,
  };
}

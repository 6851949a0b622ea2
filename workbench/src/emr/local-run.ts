/**
 * Finds the local run to check a cloud run against: the newest succeeded run in runs/ whose input is the same
 * folder (same `<inputsPrefix>/<name>/` path, whatever the bucket and scheme) and whose run.json says it ran
 * on this machine's stack (local, cluster or docker; run/run-record.ts). Folders from before run.json count as
 * local unless they hold a promote-plan.json (then they were a promote or a rehearsal). Reads manifests through
 * the one manifest schema (job/manifest.ts); undefined when there is none (the caller says how to make one).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { PlanRefusedError } from '../errors.js';
import { parseManifest, type JobManifest } from '../job/manifest.js';
import { isLocalTarget, readRunRecord, type RunRecord } from '../run/run-record.js';

export interface LocalRun {
  dir: string;
  manifest: JobManifest;
  /** Undefined for a run folder from before run.json. */
  record: RunRecord | undefined;
}

/** `s3a://b/inputs/x/` and `s3://other/inputs/x` both give `inputs/x`. */
export function inputPath(uri: string): string {
  return uri.replace(/^[a-z0-9]+:\/\/[^/]+\//i, '').replace(/\/+$/, '');
}

/** A run folder as a local run: its manifest (checked) and record. Throws when the manifest is absent or wrong. */
export async function readLocalRun(dir: string): Promise<LocalRun> {
  const file = path.join(dir, 'manifest.json');
  const manifest = parseManifest(await readFile(file, 'utf8'), file);
  return { dir, manifest, record: await readRunRecord(dir) };
}

/** True when the folder's run ran on this machine's stack (run.json; for older folders: no promote plan beside it). */
function ranLocally(run: LocalRun): boolean {
  if (run.record) return isLocalTarget(run.record.target);
  return !existsSync(path.join(run.dir, 'promote-plan.json'));
}

export async function findLocalRunFor(runsDir: string, inputUri: string, excludeRunId?: string): Promise<LocalRun | undefined> {
  if (!existsSync(runsDir)) return undefined;
  const want = inputPath(inputUri);
  let best: LocalRun | undefined;
  for (const name of (await readdir(runsDir)).sort()) {
    const dir = path.join(runsDir, name);
    if (name === excludeRunId || !existsSync(path.join(dir, 'manifest.json'))) continue;
    let run: LocalRun;
    try {
      run = await readLocalRun(dir);
    } catch {
      continue; // not a run of this workbench's contract: never a reference
    }
    const m = run.manifest;
    if (m.status !== 'succeeded' || inputPath(m.input_uri) !== want || !ranLocally(run)) continue;
    if (!best || m.finished_at > best.manifest.finished_at) best = run;
  }
  return best;
}

/** What a planned cloud run will compute, as far as the local run must agree with it. */
export interface PlannedRun {
  artifactSha256: string;
  /** The release label the cloud run runs (its Spark); the local run must have run the same release. */
  release?: string;
  engine: string;
  precision: string;
  /** The weights: a file's sha256 (the bytes the cluster gets), random:SEED, or an s3:// URI this machine cannot hash. */
  weights: { sha256: string } | { random: string } | { unchecked: string };
}

/** The engine a manifest records; manifests from before engines ran Keras in float32. */
export function engineOfManifest(m: JobManifest): { name: string; precision: string } {
  const e = (m as { engine?: { name?: unknown; precision?: unknown } }).engine;
  return { name: typeof e?.name === 'string' ? e.name : 'keras', precision: typeof e?.precision === 'string' ? e.precision : 'f32' };
}

const short = (sha: string | null | undefined) => (sha ? `${sha.slice(0, 12)}…` : 'none');

/** How the local run and the plan differ, one phrase per field (empty: they agree). Pure. */
export function referenceMismatches(local: JobManifest, planned: PlannedRun): { field: 'weights' | 'engine' | 'precision' | 'release' | 'artifact'; text: string }[] {
  const out: { field: 'weights' | 'engine' | 'precision' | 'release' | 'artifact'; text: string }[] = [];
  if ('sha256' in planned.weights && local.weights.sha256 !== planned.weights.sha256) {
    out.push({ field: 'weights', text: `weights sha256 ${short(local.weights.sha256)} (local) vs ${short(planned.weights.sha256)} (plan)` });
  }
  if ('random' in planned.weights && local.weights.spec !== planned.weights.random) {
    out.push({ field: 'weights', text: `weights ${local.weights.spec} (local) vs ${planned.weights.random} (plan)` });
  }
  const engine = engineOfManifest(local);
  if (engine.name !== planned.engine) out.push({ field: 'engine', text: `engine ${engine.name} (local) vs ${planned.engine} (plan)` });
  if (engine.precision !== planned.precision) out.push({ field: 'precision', text: `precision ${engine.precision} (local) vs ${planned.precision} (plan)` });
  const releaseDiffers = planned.release !== undefined && (local.release ?? null) !== planned.release;
  if (releaseDiffers) out.push({ field: 'release', text: `release ${local.release ?? 'not recorded'} (local) vs ${planned.release} (plan)` });
  // Another release's artifact differs by its lock and release.json: the release phrase above already says why.
  if (local.artifact.sha256 !== planned.artifactSha256 && !releaseDiffers) {
    out.push({ field: 'artifact', text: `job artifact ${short(local.artifact.sha256)} (local) vs ${short(planned.artifactSha256)} (plan)` });
  }
  return out;
}

/** The sha256 of a file's bytes (what the job records as weights.sha256 for a file). */
export async function fileSha256(file: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  const { createReadStream } = await import('node:fs');
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** The local run named by --local-run (a folder, or a run id in runs/), else the newest local run of the input. */
export async function findReference(q: { runsDir: string; inputUri: string; localRun?: string; excludeRunId?: string }): Promise<LocalRun | undefined> {
  if (!q.localRun) return findLocalRunFor(q.runsDir, q.inputUri, q.excludeRunId);
  const dir = path.resolve(existsSync(q.localRun) ? q.localRun : path.join(q.runsDir, q.localRun));
  try {
    return await readLocalRun(dir);
  } catch (err) {
    throw new PlanRefusedError(
      `--local-run ${q.localRun}: not a completed run (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`,
      'name a runs/<id>/ folder that has a manifest.json, or drop --local-run to use the newest local run of the input',
    );
  }
}

/**
 * Why a cloud run must not start, checked before anything paid: there is no local run of the same input to
 * compare it with, or that run computed something else (weights, engine, precision, job artifact), so parity
 * would fail after the cluster was paid for. Undefined when the local run is a fair reference. Pure.
 */
export function referenceRefusal(
  local: LocalRun | undefined,
  planned: PlannedRun,
  how: { inputKey: string; inputRaw: string; runsDir: string },
): PlanRefusedError | undefined {
  const localCmd = `npm run local -- --input ${how.inputRaw} --engine ${planned.engine}${planned.release ? ` --release ${planned.release}` : ''}`;
  if (!local) {
    return new PlanRefusedError(
      `no local run of the input ${how.inputKey} in ${how.runsDir} to check the cloud run against`,
      `run \`${localCmd}\` first (or name one with --local-run <runs/id>)`,
    );
  }
  const diffs = referenceMismatches(local.manifest, planned);
  if (diffs.length === 0) return undefined;
  const id = path.basename(local.dir);
  const onlyWeights = diffs.every((d) => d.field === 'weights');
  return new PlanRefusedError(
    `the local run ${id} did not compute what this plan would (parity would fail after the cluster is paid for): ${diffs.map((d) => d.text).join('; ')}`,
    onlyWeights
      ? `drop job.weights (the default, auto, takes the local run's weights), or rerun \`${localCmd} --weights <the plan's weights>\``
      : `rerun the local run with this code and settings (\`${localCmd}\`${planned.precision !== 'f32' ? `, job.precision: ${planned.precision}` : ''}), or set job.engine/job.precision to the local run's`,
  );
}

/**
 * `runs/<id>/run.json`: which target ran a run, written by the target when it creates the run folder. The job's
 * manifest cannot say it (a rehearsal and an EMR run both run on YARN; a Docker run's master looks like a native
 * one), so where a run ran, what it may have cost and whether it can stand for "the local run" are read here,
 * never guessed from the Spark master.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

export const RUN_RECORD = 'run.json';

/** Every place a run can run. local/cluster: the native stack's profiles; docker: the Docker backend. */
export const RUN_TARGETS = ['local', 'cluster', 'docker', 'rehearsal', 'emr', 'serverless'] as const;
export type RunTarget = (typeof RUN_TARGETS)[number];

/** Targets on this machine whose outputs can be the reference a cloud run is checked against. */
export const LOCAL_TARGETS: readonly RunTarget[] = ['local', 'cluster', 'docker'];
/** Targets that ran in AWS: they have a region, and a cost. */
export const CLOUD_TARGETS: readonly RunTarget[] = ['emr', 'serverless'];

export const RunRecordSchema = z.object({
  schema_version: z.literal(1),
  run_id: z.string().min(1),
  target: z.enum(RUN_TARGETS),
  /** The config profile the run was made with. */
  profile: z.string(),
  /** The AWS region for cloud targets; null for a run on this machine (a rehearsal included). */
  region: z.string().nullable(),
  recorded_at: z.string(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

export function runRecord(runId: string, target: RunTarget, profile: string, region: string | null = null, now = new Date()): RunRecord {
  return { schema_version: 1, run_id: runId, target, profile, region: CLOUD_TARGETS.includes(target) ? region : null, recorded_at: now.toISOString() };
}

export async function writeRunRecord(dir: string, record: RunRecord): Promise<void> {
  await writeFile(path.join(dir, RUN_RECORD), `${JSON.stringify(RunRecordSchema.parse(record), null, 2)}\n`);
}

/** A run.json's text -> the record; undefined when the text does not parse or does not match (reported by the caller). */
export function parseRunRecord(text: string): RunRecord | undefined {
  try {
    const parsed = RunRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The record of a local run folder; undefined for folders from before run.json (or an unreadable one). */
export async function readRunRecord(dir: string): Promise<RunRecord | undefined> {
  const file = path.join(dir, RUN_RECORD);
  if (!existsSync(file)) return undefined;
  return parseRunRecord(await readFile(file, 'utf8'));
}

export function isLocalTarget(t: RunTarget): boolean {
  return LOCAL_TARGETS.includes(t);
}

/** The target of a run on the local stack: the Docker backend, else the profile's kind (local or cluster). */
export function stackRunTarget(backend: string, profileKind: string): RunTarget {
  if (backend === 'docker') return 'docker';
  return profileKind === 'cluster' ? 'cluster' : 'local';
}

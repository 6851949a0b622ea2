/**
 * An execution target turns a plan into run outputs: the local stack (native or Docker backend), EMR, and the
 * EMR rehearsal on a local YARN. A command chooses the target, asks it for a plan, shows the plan (--dry-run)
 * or executes it; what the target starts (a stack, a cluster) is registered on the command's scope and stopped
 * on success, on error and on Ctrl-C.
 *
 * Plans are data: what plan() returns is plain data (--dry-run prints it, --plan-out saves it, unit tests check
 * it without a network). Building one does the cached set-up it needs (venv, jars, weights, the packed
 * artifact), reads and hashes local files, and may make read-only, free calls: the EMR target asks STS who the
 * caller is (not with --dry-run). It starts no stack and no cluster, and spends nothing.
 */
import type { JobManifest } from '../job/manifest.js';

export interface RunOutcome {
  runId: string;
  /** runs/<run-id>/: the manifest and whatever the target brought back. */
  runDir: string;
  /** Where the job wrote its outputs, as the job saw it (s3a:// locally, s3:// on EMR). */
  outputUri: string;
  manifest: JobManifest;
  /** The summary lines the command prints. */
  summary: string[];
}

export interface ExecutionTarget<Plan> {
  readonly name: string;
  /** Builds the plan (pure data), after the set-up it needs. */
  plan(): Promise<Plan>;
  /** The plan as lines for people: what --dry-run prints first. */
  describe(plan: Plan): string[];
  /** The plan itself as JSON, when it has a saved form (--dry-run prints it after the lines, --plan-out writes it). */
  toJson?(plan: Plan): string;
  /** Does what the plan says; resources go on the command's scope. */
  execute(plan: Plan): Promise<RunOutcome>;
}

/** A target that runs on rented machines: it can also end what the workbench left running there. */
export interface CloudTarget<Plan> extends ExecutionTarget<Plan> {
  toJson(plan: Plan): string;
  /** Ends this clone's (or this identity's) workbench clusters still up in the target's region; `all`: every workbench cluster. */
  cleanup(o: { all: boolean }): Promise<void>;
}

/**
 * An execution target turns a plan into run outputs: the local stack (native or Docker backend), EMR, and the
 * EMR rehearsal on a local YARN. A command chooses the target, asks it for a plan, shows the plan (--dry-run)
 * or executes it; what the target starts (a stack, a cluster) is registered on the command's scope and stopped
 * on success, on error and on Ctrl-C.
 *
 * Plans are data: building one starts nothing and calls no service (it may read and hash local files).
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
  /** The plan as lines for the user: what --dry-run prints. */
  describe(plan: Plan): string[];
  /** Does what the plan says; resources go on the command's scope. */
  execute(plan: Plan): Promise<RunOutcome>;
}

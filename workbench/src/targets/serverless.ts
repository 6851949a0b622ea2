/**
 * The EMR Serverless target: the job that passed locally, as one job run of a Serverless application in an EU
 * region. No cluster to size or forget; billed per vCPU-, GB- and storage-hour of the job's workers.
 *
 *   plan:    the input folder described, the content-addressed artifact, the resolved weights (the local run's),
 *            the venv archive, the account id for the default bucket -> ServerlessPlan (serverless/plan.ts, pure)
 *   execute: bucket, uploads, CreateApplication, StartJobRun, bounded poll, stop + delete (serverless/executor.ts),
 *            then the manifest and plan saved under runs/<run-id>/ and parity against the local run
 *   cleanup: this clone's (or identity's) workbench applications stopped and deleted (serverless/cleanup.ts)
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { RunContext } from '../context.js';
import type { EuRegion, WorkbenchConfig } from '../config/schema.js';
import { ParityError } from '../errors.js';
import { preparePromoteArtifact } from '../emr/artifact-files.js';
import { toCloudError } from '../emr/aws-errors.js';
import { systemClock } from '../emr/clock.js';
import { findReference, referenceRefusal, fileSha256, type PlannedRun } from '../emr/local-run.js';
import { canonicalJson } from '../emr/plan-file.js';
import { WORKER_PEAK_RSS_MB_BY_ENGINE } from '../emr/sizing.js';
import { loadThroughputProfile, THROUGHPUT_PROFILE_FILE } from '../forecast/profile.js';
import { BROAD_DEFAULT_ROLES } from '../iam/policies.js';
import { ensureRoles } from '../iam/create-roles.js';
import { parseManifest } from '../job/manifest.js';
import { openRunSource } from '../outputs/source.js';
import { compareOutputs } from '../parity/compare-outputs.js';
import { newRunId } from '../run/run-id.js';
import { runRecord, writeRunRecord } from '../run/run-record.js';
import { billedCost, estimatedUsage } from '../serverless/prices.js';
import { cleanupApplications } from '../serverless/cleanup.js';
import type { ServerlessClients } from '../serverless/clients.js';
import { executeServerlessPlan, type ServerlessTiming } from '../serverless/executor.js';
import { buildServerlessPlan, serverlessProfileOf, type ServerlessPlan, type VenvArchive } from '../serverless/plan.js';
import { ensureVenvArchive } from '../serverless/venv-archive.js';
import { loadServerlessPlan, writeServerlessPlan } from '../serverless/plan-file.js';
import { summarizeServerlessPlan } from '../serverless/summary.js';
import { ensureSetup } from '../setup/index.js';
import { lockFilePath } from '../setup/venv.js';
import { ensureWheelhouse } from '../setup/wheelhouse.js';
import { joinKey } from '../storage/s3-uri.js';
import { cloneIdOf, resolveInput, resolvePromoteWeights } from './emr.js';
import { writeRunReport } from './run-report.js';
import type { CloudTarget, RunOutcome } from './target.js';

export interface ServerlessTargetOptions {
  region: EuRegion;
  dryRun: boolean;
  accountId?: string;
  localRun?: string;
  clients(region: EuRegion): ServerlessClients;
  timing?: Partial<ServerlessTiming>;
  beforeExecute?(plan: ServerlessPlan): Promise<void>;
  /** Skip the local-run comparison and parity (the moto contract tests: moto runs no job). */
  noReference?: boolean;
  /** Build the venv archive even in a dry run (the rehearsal: a dry run of the plan, then executed locally). */
  buildVenv?: boolean;
}

export interface ServerlessTarget extends CloudTarget<ServerlessPlan> {
  /** --create-roles: the plan's execution role, created or brought up to date (idempotent, tagged). */
  createRoles(plan: ServerlessPlan): Promise<void>;
}

export function serverlessTarget(cfg: WorkbenchConfig, ctx: RunContext, o: ServerlessTargetOptions): ServerlessTarget {
  const profile = serverlessProfileOf(cfg);
  let referenceDir: string | undefined;
  return {
    name: 'serverless',

    async plan() {
      const input = await resolveInput(cfg, ctx);
      const tools = await ensureSetup(cfg, ctx.out, ctx.signal, ctx.env);
      const artifact = await preparePromoteArtifact(cfg.root, cfg.cacheDir, cfg.release);
      const inputUri = input.kind === 'local' ? joinKey(cfg.storage.inputsPrefix, path.basename(input.dir)) : input.uri;
      const local = o.noReference ? undefined : await findReference({ runsDir: cfg.runsDir, inputUri, localRun: o.localRun });
      const weights = await resolvePromoteWeights(cfg, ctx, tools, local);
      if (!o.noReference) {
        const planned: PlannedRun = {
          artifactSha256: artifact.sha256,
          engine: cfg.job.engine,
          precision: cfg.job.precision,
          weights: weights.file ? { sha256: await fileSha256(weights.file.absPath) } : weights.spec.startsWith('random:') ? { random: weights.spec } : { unchecked: weights.spec },
        };
        const refusal = referenceRefusal(local, planned, { inputKey: inputUri, inputRaw: cfg.job.input.raw, runsDir: cfg.runsDir });
        if (refusal && !o.dryRun) throw refusal;
        if (refusal) ctx.out.warn(`a paid promote would refuse this plan: ${refusal.message} (fix: ${refusal.fix})`);
        referenceDir = refusal ? undefined : local?.dir;
      }
      let identity: { account?: string; arn?: string } = { account: o.accountId };
      if (!o.dryRun) {
        const me = await o.clients(o.region).sts.send(new GetCallerIdentityCommand({})).catch((err) => {
          throw toCloudError(err, 'reading your AWS account id (STS GetCallerIdentity; the execution role ARN needs it)');
        });
        identity = { account: me.Account, arn: me.Arn };
      } else if (!o.accountId) {
        ctx.out.info('dry run: the execution role ARN (and the default bucket name) need your account id, shown as {account-id}');
      }
      const throughputFile = path.join(cfg.root, THROUGHPUT_PROFILE_FILE);
      const throughput = existsSync(throughputFile) ? await loadThroughputProfile(throughputFile) : undefined;
      if (!throughput) ctx.out.warn(`no throughput profile (${THROUGHPUT_PROFILE_FILE}): the run is not forecast`);
      // The venv archive: built (or taken from the cache) for a plan that will run; a dry run shows where it goes.
      let venv: VenvArchive | undefined;
      if (!o.dryRun || o.buildVenv) {
        const lockFile = lockFilePath(cfg.root, cfg.release);
        const wheelhouse = await ensureWheelhouse(lockFile, tools.python, cfg.cacheDir, ctx.out, ctx.signal);
        venv = await ensureVenvArchive({ release: cfg.release, lockText: readFileSync(lockFile), wheelhouse, cacheDir: cfg.cacheDir, pipPython: tools.python, out: ctx.out, signal: ctx.signal });
      }
      const now = new Date();
      const plan = buildServerlessPlan(cfg, {
        artifact,
        input,
        weights,
        runId: newRunId(now),
        venv,
        accountId: identity.account,
        owner: { clone: cloneIdOf(cfg.root), identity: identity.arn },
        workerPeakRssMb: WORKER_PEAK_RSS_MB_BY_ENGINE[cfg.job.engine],
        createdAt: now.toISOString(),
        throughput,
      });
      if ((BROAD_DEFAULT_ROLES as readonly string[]).some((r) => plan.startJobRun.executionRoleArn?.endsWith(`/${r}`))) {
        ctx.out.warn(`the execution role ${plan.startJobRun.executionRoleArn} is one of EMR's broad default roles: leave profiles.${cfg.profileName}.executionRole empty for the role scoped to s3://${plan.bucket}/ (--create-roles)`);
      }
      return plan;
    },

    describe: (plan) => summarizeServerlessPlan(plan),
    toJson: (plan) => JSON.stringify(JSON.parse(canonicalJson(plan)), null, 2),
    cleanup: async ({ all }) => {
      await cleanupApplications(o.clients(o.region), { region: o.region, out: ctx.out, clock: systemClock, clone: cloneIdOf(cfg.root), all });
    },
    async createRoles(plan) {
      if (plan.roles.length === 0) {
        ctx.out.info(`the execution role is given as an ARN (${profile.executionRole}): nothing to create`);
        return;
      }
      await ensureRoles(o.clients(plan.region).iam, plan.roles, ctx.out);
    },

    async execute(plan): Promise<RunOutcome> {
      await o.beforeExecute?.(plan);
      const clients = o.clients(plan.region);
      const outcome = await executeServerlessPlan(plan, { emrs: clients.emrs, s3: clients.s3, out: ctx.out, scope: ctx, timing: o.timing });
      const runDir = path.join(cfg.runsDir, plan.runId);
      await mkdir(runDir, { recursive: true });
      await writeFile(path.join(runDir, 'manifest.json'), outcome.manifestText);
      await writeRunRecord(runDir, runRecord(plan.runId, 'serverless', plan.profileName, plan.region));
      await writeFile(path.join(runDir, 'serverless-plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
      // What AWS billed (GetJobRun billedResourceUtilization) priced at the plan's dated table, beside the estimate:
      // the report shows both (report/cost.ts).
      const billed = outcome.billed ? billedCost(plan.region, outcome.billed) : null;
      const estimate = { ...estimatedUsage(plan.estimate), eur: plan.estimate.totalEur };
      await writeFile(
        path.join(runDir, 'promote-outcome.json'),
        `${JSON.stringify({ applicationId: outcome.applicationId, jobRunId: outcome.jobRunId, elapsedMs: outcome.elapsedMs, billed, estimate }, null, 2)}\n`,
      );
      const shown = path.relative(cfg.root, runDir) || runDir;
      const summary = [
        `EMR Serverless run ${plan.runId} succeeded (application ${outcome.applicationId}, job run ${outcome.jobRunId}): outputs ${plan.outputUri}, manifest saved to ${shown}/`,
        `  billed     ${billed ? `${usageLine(billed)} = ${billed.eur.toFixed(4)} EUR` : 'not reported by GetJobRun'}`,
        `  estimate   ${usageLine(estimate)} = ${estimate.eur.toFixed(4)} EUR (price table ${plan.estimate.priceTable.date})`,
      ];
      const result: RunOutcome = { runId: plan.runId, runDir, outputUri: plan.outputUri, manifest: parseManifest(outcome.manifestText, outcome.manifestUri), summary };
      const writeReport = async () => {
        const report = await writeRunReport(runDir, cfg, ctx, () => clients.s3);
        if (report) summary.push(`  report     ${path.relative(cfg.root, report) || report}`);
      };
      if (o.noReference || !referenceDir) {
        await writeReport();
        if (!o.noReference) ctx.out.warn(`no local run of the same input to check against: run \`npm run parity -- <local run> ${plan.outputUri}\` after a local run`);
        return result;
      }
      const { comparison } = await compareOutputs(
        [openRunSource(referenceDir, { runsDir: cfg.runsDir }), openRunSource(plan.outputUri, { s3Client: () => clients.s3 })],
        { tolerances: cfg.parity, runsDir: cfg.runsDir, out: ctx.out, reportFile: path.join(runDir, 'parity-vs-local.json') },
      );
      await writeReport();
      if (!comparison.passed) {
        for (const line of summary) ctx.out.result(line);
        throw new ParityError(`the Serverless run ${plan.runId} does not agree with the local run ${path.basename(referenceDir)}`, `see ${path.join(shown, 'parity-vs-local.json')}`);
      }
      return result;
    },
  };
}

/** "0.0667 vCPU-h, 0.2667 GB-h, 0 storage GB-h": the units of billedResourceUtilization. */
function usageLine(u: { vCPUHour: number; memoryGBHour: number; storageGBHour: number }): string {
  return `${u.vCPUHour} vCPU-h, ${u.memoryGBHour} GB-h, ${u.storageGBHour} storage GB-h`;
}

export interface ServerlessPromoteFlags {
  dryRun?: boolean;
  planOut?: string;
  /** A saved plan to execute (absolute path). */
  planFile?: string;
  cleanup?: boolean;
  all?: boolean;
  rehearse?: boolean;
  createRoles?: boolean;
  localRun?: string;
  timing?: Partial<ServerlessTiming>;
  /** Asks before the paid part (the command's prompt); undefined with --yes. */
  confirm?(plan: ServerlessPlan): Promise<void>;
  clients(region: EuRegion): ServerlessClients;
}

/** `npm run promote` on a serverless profile: the command's modes (dry run, plan out, plan, cleanup, create roles, run). */
export async function runServerlessPromote(cfg: WorkbenchConfig, ctx: RunContext, f: ServerlessPromoteFlags): Promise<number> {
  const profile = serverlessProfileOf(cfg);
  const saved = f.planFile ? await loadServerlessPlan(f.planFile, { budgetEur: profile.budgetEur }) : undefined;
  const region = saved?.region ?? (profile.region as EuRegion);
  if (f.rehearse) {
    // Loaded when asked for: the rehearsal module builds on this one (serverlessTarget).
    const { rehearseServerless } = await import('./serverless-rehearsal.js');
    const outcome = await rehearseServerless(cfg, ctx, { region, localRun: f.localRun, plan: saved });
    for (const line of outcome.summary) ctx.out.result(line);
    return 0;
  }
  // --create-roles needs the account (the default bucket's name) but no local run to compare with.
  const target = serverlessTarget(cfg, ctx, { region, dryRun: Boolean(f.dryRun), localRun: f.localRun, clients: f.clients, timing: f.timing, beforeExecute: f.confirm, noReference: f.createRoles });
  if (f.cleanup) {
    await target.cleanup({ all: Boolean(f.all) });
    return 0;
  }
  const plan = saved ?? (await target.plan());
  for (const line of target.describe(plan)) ctx.out.info(line);
  if (f.dryRun) {
    if (f.planOut) {
      await writeServerlessPlan(f.planOut, plan);
      ctx.out.info(`wrote the plan to ${f.planOut}`);
    }
    ctx.out.result(target.toJson(plan));
    ctx.out.info('dry run: nothing was sent to AWS');
    return 0;
  }
  if (f.createRoles) {
    await target.createRoles(plan);
    ctx.out.result(`roles ready: ${plan.roles.map((r) => r.name).join(', ') || 'none to create'}; run without --create-roles to promote`);
    return 0;
  }
  if (f.planOut) {
    await writeServerlessPlan(f.planOut, plan);
    ctx.out.result(`wrote the plan to ${f.planOut}; run it with: npm run promote -- --plan ${f.planOut}`);
    return 0;
  }
  const outcome = await target.execute(plan);
  for (const line of outcome.summary) ctx.out.result(line);
  return 0;
}

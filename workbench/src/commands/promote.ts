/**
 * `npm run promote`: the job that passed locally, on an EMR cluster in an EU region, planned and priced
 * first, always torn down, and checked against the local run of the same input.
 *
 *   npm run promote -- --dry-run                 print the plan (summary + JSON); no AWS call at all
 *   npm run promote -- --plan-out plan.json      write the plan for review; nothing runs
 *   npm run promote -- --plan plan.json --yes    execute exactly that (re-validated) plan
 *   npm run promote -- --yes                     plan and execute
 *   npm run promote -- --cleanup                 terminate every workbench-tagged cluster left in the region
 *
 * Uses the `emr` profile unless --profile says otherwise. The EU guard runs before any AWS client exists.
 * The endpoint override (--endpoint-url / WORKBENCH_AWS_ENDPOINT_URL) is read here, at the edge, for moto.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import type { EuRegion, WorkbenchConfig } from '../config/schema.js';
import { PlanRefusedError } from '../errors.js';
import { preparePromoteArtifact } from '../emr/artifact-files.js';
import { toCloudError } from '../emr/aws-errors.js';
import { cleanupClusters } from '../emr/cleanup.js';
import { createAwsClients, type AwsClients } from '../emr/clients.js';
import { systemClock } from '../emr/clock.js';
import { executePromotePlan, type ExecutorTiming } from '../emr/executor.js';
import { describeFile, scanInputFolder } from '../emr/local-files.js';
import { findLocalRunFor } from '../emr/local-run.js';
import { buildPromotePlan, emrProfileOf, type PromoteInput, type PromotePlan } from '../emr/plan.js';
import { loadPlan, sealPlan, writePlan } from '../emr/plan-file.js';
import { summarizePlan } from '../emr/plan-summary.js';
import { assertEuRegion } from '../emr/region-guard.js';
import { compareOutputs } from '../parity/compare-outputs.js';
import { openRunSource } from '../outputs/source.js';
import type { CommandContext, CommandSpec, Output } from './types.js';

/** Compares the EMR run with the local run; wired to parity/ by the caller of createPromoteCommand. */
export type PromoteParity = (a: {
  cfg: WorkbenchConfig;
  /** runs/<id>/ of the local run of the same input. */
  localRunDir: string;
  /** s3://<bucket>/runs/<id>/: the EMR run's outputs, read through `s3`. */
  emrOutputUri: string;
  /** runs/<emr-run-id>/ where the EMR manifest and plan were saved; a report can go there too. */
  emrRunDir: string;
  s3: S3Client;
  out: Output;
  signal: AbortSignal;
}) => Promise<{ ok: boolean }>;

/** The EMR run's outputs (read from S3) against the local run folder, with the config's tolerances. */
const parityAgainstLocal: PromoteParity = async ({ cfg, localRunDir, emrOutputUri, emrRunDir, s3, out }) => {
  out.info(`parity: ${localRunDir} (local) vs ${emrOutputUri} (EMR)`);
  const { comparison } = await compareOutputs(
    [openRunSource(localRunDir, { runsDir: cfg.runsDir }), openRunSource(emrOutputUri, { s3Client: () => s3 })],
    { tolerances: cfg.parity, runsDir: cfg.runsDir, out, reportFile: path.join(emrRunDir, 'parity-vs-local.json') },
  );
  return { ok: comparison.passed };
};

export interface PromoteDeps {
  parity: PromoteParity;
  /** Test hook: faster polling against moto. Real runs use DEFAULT_TIMING. */
  timing?: Partial<ExecutorTiming>;
}

/** A run id in the job's own format: UTC timestamp + random suffix (20261125T200102Z-ab12cd). */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

const isUri = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

interface Options {
  dryRun?: boolean;
  planOut?: string;
  plan?: string;
  cleanup?: boolean;
  region?: string;
  input?: string;
  budgetEur?: string;
  endpointUrl?: string;
  localRun?: string;
  yes?: boolean;
  profile?: string;
}

export function createPromoteCommand(deps: PromoteDeps): CommandSpec {
  return {
    name: 'promote',
    description: 'run the job on an EMR cluster in an EU region: planned, priced, always torn down, checked against the local run',
    configure(cmd: Command) {
      cmd
        .option('--dry-run', 'print the whole plan (summary, uploads, RunJobFlow request, estimate) and make no AWS call')
        .option('--plan-out <file>', 'write the plan to FILE and stop (review it, then run it with --plan FILE)')
        .option('--plan <file>', 'execute exactly this saved plan (validated again: EU region, budget, files unchanged)')
        .option('--cleanup', 'terminate every cluster tagged fruits-workbench=true still active in the region')
        .option('--region <region>', 'EU region (eu-west-1, eu-west-3, eu-central-1, eu-north-1, eu-south-1, eu-south-2)')
        .option('--input <dir>', 'folder of images to upload (or an s3:// URI in the region) instead of job.input')
        .option('--budget-eur <eur>', 'refuse plans estimated above this (default: the profile\'s budgetEur, 10)')
        .option('--local-run <dir>', 'the local run to check against (default: the newest local run of the same input)')
        .option('--endpoint-url <url>', 'send AWS calls to this endpoint instead of AWS (tests with moto); env WORKBENCH_AWS_ENDPOINT_URL')
        .option('-y, --yes', 'do not ask for confirmation before starting the (paid) cluster');
    },
    async run({ options }, ctx) {
      const o = options as Options;
      const endpoint = o.endpointUrl ?? (ctx.env.WORKBENCH_AWS_ENDPOINT_URL || undefined);
      // The EU guard, on the raw flag/env value, before the config or any client: a clear GDPR refusal.
      const regionOverride = o.region ?? (ctx.env.WORKBENCH_REGION || undefined);
      if (regionOverride !== undefined) assertEuRegion(regionOverride);
      const modes = [o.dryRun, o.planOut, o.plan, o.cleanup].filter(Boolean).length;
      if (modes > 1) {
        throw new PlanRefusedError('choose one of --dry-run, --plan-out, --plan, --cleanup', 'run them one after the other');
      }
      if (endpoint) ctx.out.warn(`AWS calls go to ${endpoint}, not to AWS`);

      if (o.plan) return runSavedPlan(o, ctx, deps, endpoint);

      const cfg = ctx.loadConfig({ profile: o.profile ?? 'emr', region: o.region, input: o.input, budgetEur: o.budgetEur });
      const profile = emrProfileOf(cfg);
      const region = assertEuRegion(profile.region);

      if (o.cleanup) {
        const clients = clientsFor(ctx, region, endpoint);
        await cleanupClusters(clients.emr, { region, out: ctx.out, clock: systemClock });
        return 0;
      }

      const plan = await makePlan(cfg, ctx, { dryRun: Boolean(o.dryRun), region, endpoint });
      for (const line of summarizePlan(plan)) ctx.out.info(line);
      if (o.dryRun) {
        ctx.out.result(JSON.stringify(sealPlan(plan), null, 2));
        ctx.out.info('dry run: nothing was sent to AWS');
        return 0;
      }
      if (o.planOut) {
        await writePlan(o.planOut, plan);
        ctx.out.result(`wrote the plan to ${o.planOut}; run it with: npm run promote -- --plan ${o.planOut}`);
        return 0;
      }
      return execute(plan, cfg, o, ctx, deps, endpoint);
    },
  };
}

/** One set of clients per command and region, created on first use (never for a dry run) and closed by the scope. */
const clientCache = new WeakMap<CommandContext, AwsClients>();
function clientsFor(ctx: CommandContext, region: EuRegion, endpoint: string | undefined): AwsClients {
  const cached = clientCache.get(ctx);
  if (cached?.region === region) return cached;
  const clients = createAwsClients({ region, endpoint });
  clientCache.set(ctx, clients);
  ctx.stack.defer(() => clients.destroy(), 'aws clients');
  return clients;
}

async function resolveInput(cfg: WorkbenchConfig, out: Output): Promise<PromoteInput> {
  if (isUri(cfg.job.input)) return { kind: 's3', uri: cfg.job.input };
  const dir = path.resolve(cfg.root, cfg.job.input);
  const { files, skipped } = await scanInputFolder(dir);
  if (skipped > 0) out.info(`input: ${skipped} non-image file(s) under ${dir} are not uploaded`);
  return { kind: 'local', dir, files };
}

/** job.weights -> what the EMR job gets. `auto` is resolved exactly like the local run (setup/weights.ts). */
async function resolvePromoteWeights(cfg: WorkbenchConfig, ctx: CommandContext): Promise<{ spec: string; file?: Awaited<ReturnType<typeof describeFile>> }> {
  let spec = cfg.job.weights;
  if (spec === 'auto') {
    const { ensureSetup } = await import('../setup/index.js');
    const { resolveWeights } = await import('../setup/weights.js');
    const tools = await ensureSetup(cfg, ctx.out, ctx.signal, ctx.env);
    const resolved = await resolveWeights(cfg, tools, ctx.out, ctx.signal, ctx.env);
    ctx.out.info(`weights: ${resolved.description}`);
    spec = resolved.spec;
  }
  if (spec === 'imagenet' || spec.startsWith('random:') || isUri(spec)) return { spec };
  return { spec, file: await describeFile(path.resolve(cfg.root, spec)) };
}

async function makePlan(cfg: WorkbenchConfig, ctx: CommandContext, o: { dryRun: boolean; region: EuRegion; endpoint?: string }): Promise<PromotePlan> {
  const profile = emrProfileOf(cfg);
  const [input, artifact, weights] = [
    await resolveInput(cfg, ctx.out),
    await preparePromoteArtifact(cfg.root, cfg.cacheDir),
    await resolvePromoteWeights(cfg, ctx),
  ];
  let accountId: string | undefined;
  if (!profile.bucket && !o.dryRun) {
    // The default bucket name carries the account id (bucket names are global). Read-only, free.
    const sts = clientsFor(ctx, o.region, o.endpoint).sts;
    const me = await sts.send(new GetCallerIdentityCommand({})).catch((err) => {
      throw toCloudError(err, 'reading your AWS account id (STS GetCallerIdentity)');
    });
    accountId = me.Account;
  }
  if (!profile.bucket && o.dryRun) ctx.out.info('dry run: the bucket name needs your account id, shown as {account-id} (set profiles.<emr>.bucket to fix it)');
  const now = new Date();
  return buildPromotePlan(cfg, { artifact, input, weights, runId: newRunId(now), accountId, createdAt: now.toISOString() });
}

async function runSavedPlan(o: Options, ctx: CommandContext, deps: PromoteDeps, endpoint: string | undefined): Promise<number> {
  const planFile = path.resolve(o.plan!);
  // The profile named in the plan gives today's budget; the plan itself is validated once, below.
  const named = await readFile(planFile, 'utf8').then((t) => (JSON.parse(t) as { profileName?: unknown }).profileName, () => undefined);
  const cfg = ctx.loadConfig({ profile: o.profile ?? (typeof named === 'string' ? named : 'emr'), budgetEur: o.budgetEur });
  // A plan saved under a larger budget does not widen today's.
  const plan = await loadPlan(planFile, { budgetEur: cfg.profile.kind === 'emr' ? cfg.profile.budgetEur : undefined });
  if (o.region && o.region !== plan.region) {
    throw new PlanRefusedError(`the plan ${planFile} is for ${plan.region}, not ${o.region}`, 'drop --region, or make a new plan for that region');
  }
  ctx.out.info(`executing the saved plan ${planFile} (digest ${plan.digest.slice(0, 12)})`);
  for (const line of summarizePlan(plan)) ctx.out.info(line);
  return execute(plan, cfg, o, ctx, deps, endpoint);
}

async function confirm(plan: PromotePlan, ctx: CommandContext): Promise<void> {
  const question = `start an EMR cluster in ${plan.region} for about ${plan.estimate.totalEur.toFixed(2)} EUR? [y/N] `;
  if (!process.stdin.isTTY) {
    throw new PlanRefusedError('not confirmed: promote starts a paid EMR cluster and there is no terminal to ask', 'pass --yes to confirm');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(question, { signal: ctx.signal });
    if (!/^y(es)?$/i.test(answer.trim())) throw new PlanRefusedError('not confirmed: nothing was started', 'answer y, or pass --yes');
  } finally {
    rl.close();
  }
}

async function execute(plan: PromotePlan, cfg: WorkbenchConfig, o: Options, ctx: CommandContext, deps: PromoteDeps, endpoint: string | undefined): Promise<number> {
  if (!o.yes) await confirm(plan, ctx);
  const clients = clientsFor(ctx, plan.region, endpoint);
  const outcome = await executePromotePlan(plan, {
    s3: clients.s3,
    emr: clients.emr,
    out: ctx.out,
    scope: ctx,
    timing: deps.timing,
  });

  // Keep the EMR run's record beside the local runs: its manifest and the plan that produced it.
  const runDir = path.join(cfg.runsDir, plan.runId);
  await mkdir(runDir, { recursive: true });
  await writeFile(path.join(runDir, 'manifest.json'), outcome.manifestText);
  await writeFile(path.join(runDir, 'promote-plan.json'), `${JSON.stringify(sealPlan(plan), null, 2)}\n`);
  ctx.out.result(`EMR run ${plan.runId} succeeded on ${outcome.clusterId}: outputs ${plan.outputUri}, manifest saved to ${path.relative(cfg.root, runDir)}/`);

  const localRunDir = o.localRun ? path.resolve(existsSync(o.localRun) ? o.localRun : path.join(cfg.runsDir, o.localRun)) : await findLocalRunFor(cfg.runsDir, plan.inputUri, plan.runId);
  if (!localRunDir) {
    ctx.out.warn(
      `no local run of the same input (${plan.inputUri.replace(/^s3:\/\/[^/]+\//, '')}) in ${cfg.runsDir}: ` +
        `run \`npm run local -- --input ${cfg.job.input}\`, then \`npm run parity -- <local run> ${plan.outputUri}\``,
    );
    return 0;
  }
  const parity = await deps.parity({ cfg, localRunDir, emrOutputUri: plan.outputUri, emrRunDir: runDir, s3: clients.s3, out: ctx.out, signal: ctx.signal });
  return parity.ok ? 0 : 6;
}

export const command: CommandSpec = createPromoteCommand({ parity: parityAgainstLocal });

/**
 * `npm run promote`: the job that passed locally, on an EMR cluster in an EU region, planned and priced
 * first, always torn down, and checked against the local run of the same input (targets/emr.ts).
 *
 *   npm run promote -- --dry-run                 print the plan (summary + JSON); no AWS call at all
 *   npm run promote -- --plan-out plan.json      write the plan for review; nothing runs
 *   npm run promote -- --plan plan.json --yes    execute exactly that (re-validated) plan
 *   npm run promote -- --yes                     plan and execute
 *   npm run promote -- --cleanup [--all]         terminate this clone's (or every) workbench cluster left in the region
 *   npm run promote -- --rehearse                execute the very plan offline: MinIO for S3, the bootstrap, a local YARN
 *
 * Uses the `emr` profile unless --profile says otherwise. The EU guard runs before any AWS client exists.
 * The endpoint override (--endpoint-url / WORKBENCH_AWS_ENDPOINT_URL) is read here, at the edge, for moto.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { EuRegion, WorkbenchConfig } from '../config/schema.js';
import { resolveFlagPath } from '../config/specs.js';
import { PlanRefusedError } from '../errors.js';
import { createAwsClients, type AwsClients } from '../emr/clients.js';
import type { ExecutorTiming } from '../emr/executor.js';
import { bucketName, emrProfileOf, type PromotePlan } from '../emr/plan.js';
import { loadPlan, writePlan } from '../emr/plan-file.js';
import { assertEuRegion } from '../emr/region-guard.js';
import { emrTarget, parityAgainstLocal, type PromoteParity } from '../targets/emr.js';
import { rehearsalTarget } from '../targets/rehearsal.js';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ensureRoles } from '../iam/create-roles.js';
import { BROAD_DEFAULT_ROLES, emrRoles, runBucketScope } from '../iam/policies.js';
import { createServerlessClients, type ServerlessClients } from '../serverless/clients.js';
import type { ServerlessTiming } from '../serverless/executor.js';
import { runServerlessPromote } from '../targets/serverless.js';
import type { CommandContext, CommandSpec } from './types.js';

export type { PromoteParity } from '../targets/emr.js';

export interface PromoteDeps {
  parity: PromoteParity;
  /** Test hook: faster polling against moto. Real runs use DEFAULT_TIMING. */
  timing?: Partial<ExecutorTiming>;
  /** The same for a serverless profile's job run. */
  serverlessTiming?: Partial<ServerlessTiming>;
}

interface Options {
  dryRun?: boolean;
  planOut?: string;
  plan?: string;
  cleanup?: boolean;
  all?: boolean;
  rehearse?: boolean;
  createRoles?: boolean;
  region?: string;
  input?: string;
  budgetEur?: string;
  coreNodes?: string;
  targetMinutes?: string;
  endpointUrl?: string;
  localRun?: string;
  yes?: boolean;
  profile?: string;
}

/** One set of clients per command and region, created on first use (never for a dry run) and closed by the scope. */
function clientFactory(ctx: CommandContext, endpoint: string | undefined): (region: EuRegion) => AwsClients {
  let cached: AwsClients | undefined;
  return (region) => {
    if (cached?.region === region) return cached;
    const clients = createAwsClients({ region, endpoint });
    cached = clients;
    ctx.stack.defer(() => clients.destroy(), 'aws clients');
    return clients;
  };
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

async function confirmServerless(eur: number, region: string, ctx: CommandContext): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new PlanRefusedError('not confirmed: promote starts a paid EMR Serverless job run and there is no terminal to ask', 'pass --yes to confirm');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`start an EMR Serverless job run in ${region} for about ${eur.toFixed(2)} EUR? [y/N] `, { signal: ctx.signal });
    if (!/^y(es)?$/i.test(answer.trim())) throw new PlanRefusedError('not confirmed: nothing was started', 'answer y, or pass --yes');
  } finally {
    rl.close();
  }
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
        .option('--cleanup', 'terminate the workbench clusters this clone or AWS identity started that are still active in the region')
        .option('--all', 'with --cleanup: every workbench-tagged cluster in the region, whoever started it')
        .option('--create-roles', 'create (or update) the roles scoped to the run\'s bucket, tagged, then stop (serverless: the execution role; emr: the service role and the nodes\' role + instance profile)')
        .option('--rehearse', 'execute the plan on this machine instead of AWS: MinIO for the bucket, the bootstrap action, a local YARN node of the planned size; no AWS call, no cost')
        .option('--region <region>', 'EU region (eu-west-1, eu-west-3, eu-central-1, eu-north-1, eu-south-1, eu-south-2)')
        .option('--input <dir>', 'folder of images to upload (or an s3:// URI in the region) instead of job.input')
        .option('--budget-eur <eur>', 'refuse plans estimated above this (default: the profile\'s budgetEur, 10)')
        .option('--core-nodes <n|auto>', 'core nodes to plan; auto = the cheapest count whose forecast run ends within --target-minutes (profile coreNodes)')
        .option('--target-minutes <min>', 'with --core-nodes auto: the whole run must end within this (profile targetMinutes, default 60)')
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
      // --dry-run and --plan-out go together (write the plan, call nothing); the other modes are exclusive.
      const modes = [o.dryRun || o.planOut, o.plan, o.cleanup].filter(Boolean).length;
      if (modes > 1) {
        throw new PlanRefusedError('choose one of --dry-run / --plan-out, --plan, --cleanup', 'run them one after the other');
      }
      if (o.rehearse && (o.cleanup || o.planOut || o.dryRun)) {
        throw new PlanRefusedError('--rehearse executes a plan: it goes with --plan FILE or nothing, not with --cleanup, --plan-out or --dry-run', 'drop the other flag');
      }
      if (o.all && !o.cleanup) throw new PlanRefusedError('--all widens --cleanup only', 'use --cleanup --all');
      if (endpoint) ctx.out.warn(`AWS calls go to ${endpoint}, not to AWS`);
      const clients = clientFactory(ctx, endpoint);
      // A serverless profile (kind: serverless) runs through its own target; the modes are the same.
      let slsClients: ServerlessClients | undefined;
      const serverless = (c: WorkbenchConfig, planFile?: string) =>
        runServerlessPromote(c, ctx, {
          dryRun: o.dryRun, planOut: o.planOut ? path.resolve(cwd, o.planOut) : undefined, planFile, cleanup: o.cleanup, all: o.all, rehearse: o.rehearse,
          createRoles: o.createRoles, localRun: o.localRun, timing: deps.serverlessTiming,
          confirm: o.yes ? undefined : (plan) => confirmServerless(plan.estimate.totalEur, plan.region, ctx),
          clients: (region) => {
            if (slsClients?.region === region) return slsClients;
            const made = createServerlessClients({ region, endpoint });
            ctx.stack.defer(() => made.destroy(), 'aws clients (serverless)');
            return (slsClients = made);
          },
        });
      const cwd = ctx.env.INIT_CWD ?? process.cwd();

      let cfg;
      let savedPlan: PromotePlan | undefined;
      if (o.plan) {
        const planFile = path.resolve(cwd, o.plan);
        // The profile named in the plan gives today's budget; the plan itself is validated once, below.
        const named = await readFile(planFile, 'utf8').then((t) => (JSON.parse(t) as { profileName?: unknown }).profileName, () => undefined);
        cfg = ctx.loadConfig({ profile: o.profile ?? (typeof named === 'string' ? named : 'emr'), budgetEur: o.budgetEur });
        if (cfg.profile.kind === 'serverless') return serverless(cfg, planFile);
        // A plan saved under a larger budget does not widen today's.
        savedPlan = await loadPlan(planFile, { budgetEur: cfg.profile.kind === 'emr' ? cfg.profile.budgetEur : undefined });
        if (o.region && o.region !== savedPlan.region) {
          throw new PlanRefusedError(`the plan ${planFile} is for ${savedPlan.region}, not ${o.region}`, 'drop --region, or make a new plan for that region');
        }
        ctx.out.info(`executing the saved plan ${planFile} (digest ${(savedPlan as { digest?: string }).digest?.slice(0, 12)})`);
      } else {
        cfg = ctx.loadConfig({
          profile: o.profile ?? 'emr',
          region: o.region,
          input: o.input !== undefined ? resolveFlagPath(o.input, cwd) : undefined,
          budgetEur: o.budgetEur,
          coreNodes: o.coreNodes,
          targetMinutes: o.targetMinutes,
        });
      }
      if (cfg.profile.kind === 'serverless') return serverless(cfg);
      if (o.createRoles) {
        // EMR on EC2: the service role and the nodes' role + instance profile, scoped to the profile's bucket.
        const p = emrProfileOf(cfg);
        const aws = createServerlessClients({ region: assertEuRegion(p.region), endpoint });
        ctx.stack.defer(() => aws.destroy(), 'aws clients (iam)');
        const account = p.bucket ? undefined : (await aws.sts.send(new GetCallerIdentityCommand({}))).Account;
        const roles = emrRoles(runBucketScope(bucketName(cfg, assertEuRegion(p.region), account), cfg.storage));
        await ensureRoles(aws.iam, roles, ctx.out);
        ctx.out.result(`roles ready; to use them set profiles.${cfg.profileName}.serviceRole: ${roles[0]!.name} and instanceProfile: ${roles[1]!.name}`);
        return 0;
      }
      const region = assertEuRegion(savedPlan?.region ?? emrProfileOf(cfg).region);

      const target = emrTarget(cfg, ctx, {
        region,
        dryRun: Boolean(o.dryRun),
        localRun: o.localRun,
        clients,
        parity: deps.parity,
        timing: deps.timing,
        beforeExecute: o.yes ? undefined : (plan) => confirm(plan, ctx),
      });
      if (o.cleanup) {
        await target.cleanup({ all: Boolean(o.all) });
        return 0;
      }

      if (o.rehearse) {
        const rehearsal = rehearsalTarget(cfg, ctx, { region, localRun: o.localRun });
        const plan = savedPlan ?? (await rehearsal.plan());
        for (const line of rehearsal.describe(plan)) ctx.out.info(line);
        ctx.out.info('rehearsal: the plan above runs on this machine (no AWS call, no cost)');
        const outcome = await rehearsal.execute(plan);
        for (const line of outcome.summary) ctx.out.result(line);
        return 0;
      }

      const plan = savedPlan ?? (await target.plan());
      // The summary for people, then the plan itself as JSON (printed by --dry-run).
      for (const line of target.describe(plan)) ctx.out.info(line);
      const namedRoles = cfg.profile.kind === 'emr' ? [cfg.profile.serviceRole, cfg.profile.instanceProfile] : [];
      for (const role of namedRoles.filter((r) => (BROAD_DEFAULT_ROLES as readonly string[]).includes(r))) {
        ctx.out.warn(`${role} is one of EMR's broad default roles (EMR_EC2_DefaultRole lets the nodes read and write every bucket of the account): \`npm run promote -- --create-roles\` creates roles scoped to s3://${plan.bucket}/ instead`);
      }
      if (o.dryRun) {
        if (o.planOut) {
          await writePlan(path.resolve(cwd, o.planOut), plan);
          ctx.out.info(`wrote the plan to ${o.planOut}`);
        }
        ctx.out.result(target.toJson(plan));
        ctx.out.info('dry run: nothing was sent to AWS');
        return 0;
      }
      if (o.planOut) {
        await writePlan(path.resolve(cwd, o.planOut), plan);
        ctx.out.result(`wrote the plan to ${o.planOut}; run it with: npm run promote -- --plan ${o.planOut}`);
        return 0;
      }
      const outcome = await target.execute(plan);
      for (const line of outcome.summary) ctx.out.result(line);
      return 0;
    },
  };
}

export const command: CommandSpec = createPromoteCommand({ parity: parityAgainstLocal });

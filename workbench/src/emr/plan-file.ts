/**
 * Saving and loading a promote plan (`--plan-out plan.json`, `--plan plan.json`). A saved plan is executed
 * exactly as written, so loading re-checks everything that makes it safe, whatever the file says: EU region,
 * release vs the pinned Spark, the cost recomputed from the instances actually requested vs the budget, the
 * teardown settings, the tags, that every URI stays in the plan's bucket, and that the local files still have
 * the bytes the plan recorded. A digest over the canonical JSON catches edits made by hand.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { PlanRefusedError } from '../errors.js';
import { describeFile } from '../storage/local-folder.js';
import { PLAN_FORMAT, pricedCluster, type PromotePlan } from './plan.js';
import { forecastEmr } from '../forecast/emr.js';
import { parseThroughputProfile } from '../forecast/profile.js';
import { assertWithinBudget, estimateCost, withS3Requests, type PricedGroup } from './prices.js';
import { assertEuRegion } from './region-guard.js';
import { releaseFor } from './releases.js';
import { isOurs, RUN_ID_TAG } from './tags.js';

export interface SavedPlan extends PromotePlan {
  /** sha256 of the canonical JSON of every other field. */
  digest: string;
}

/** JSON with object keys sorted at every level, so equal plans give equal bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function planDigest(plan: PromotePlan): string {
  const { digest: _ignored, ...rest } = plan as SavedPlan;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

export function sealPlan(plan: PromotePlan): SavedPlan {
  return { ...plan, digest: planDigest(plan) };
}

export async function writePlan(file: string, plan: PromotePlan): Promise<SavedPlan> {
  const sealed = sealPlan(plan);
  await writeFile(file, `${JSON.stringify(sealed, null, 2)}\n`, { mode: 0o600 });
  return sealed;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The fields the checks below read; everything else is carried through as written. */
const SavedPlanShape = z
  .object({
    format: z.literal(PLAN_FORMAT),
    digest: z.string().regex(/^[0-9a-f]{64}$/),
    runId: z.string().min(1),
    region: z.string(),
    bucket: z.string(),
    plannedMinutes: z.number().int().positive(),
    idleTimeoutMinutes: z.number().int().positive(),
    budgetEur: z.number().positive(),
    uploads: z.array(z.object({ role: z.enum(['input', 'artifact', 'weights']), source: z.string(), key: z.string(), bytes: z.number(), md5: z.string() })),
    mirror: z.array(z.string().regex(/\/$/, 'a mirrored prefix ends with /')),
    runJobFlow: z.object({
      ReleaseLabel: z.string(),
      LogUri: z.string(),
      Instances: z.object({
        InstanceGroups: z.array(
          z.object({ InstanceRole: z.enum(['MASTER', 'CORE', 'TASK']), InstanceType: z.string(), InstanceCount: z.number().int().positive(), Market: z.enum(['ON_DEMAND', 'SPOT']) }),
        ).min(1),
        KeepJobFlowAliveWhenNoSteps: z.boolean(),
        InstanceFleets: z.undefined().optional(),
      }),
      AutoTerminationPolicy: z.object({ IdleTimeout: z.number().int().positive() }).optional(),
      Tags: z.array(z.object({ Key: z.string(), Value: z.string() })),
      Steps: z.array(z.unknown()),
      BootstrapActions: z.array(z.object({ ScriptBootstrapAction: z.object({ Path: z.string(), Args: z.array(z.string()).optional() }) })),
    }),
  })
  .loose();

function refuse(file: string, why: string, fix = 're-create the plan with `npm run promote -- --plan-out FILE`'): never {
  throw new PlanRefusedError(`refused plan ${file}: ${why}`, fix);
}

/** Checks a parsed plan; returns it typed, or throws PlanRefusedError naming the first problem. Pure. */
export function validatePlan(raw: unknown, file = 'plan', opts: { budgetEur?: number } = {}): SavedPlan {
  const parsed = SavedPlanShape.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    refuse(file, `not a workbench promote plan (${issue.path.join('.') || 'root'}: ${issue.message})`);
  }
  const plan = raw as SavedPlan;
  if (planDigest(plan) !== plan.digest) refuse(file, 'it was changed after it was written (digest mismatch)');

  const region = assertEuRegion(plan.region);
  const req = plan.runJobFlow;
  releaseFor(req.ReleaseLabel!);
  if (!BUCKET_NAME.test(plan.bucket)) {
    refuse(file, `bucket ${JSON.stringify(plan.bucket)} is not a valid bucket name (a dry run without credentials leaves the account id open)`,
      'set profiles.<emr>.bucket in workbench.yaml, or write the plan with credentials available: `npm run promote -- --plan-out FILE`');
  }
  const inBucket = (uri: string | undefined) => typeof uri === 'string' && uri.startsWith(`s3://${plan.bucket}/`);
  if (!inBucket(req.LogUri)) refuse(file, `LogUri ${req.LogUri} is outside the plan's bucket ${plan.bucket}`);
  for (const ba of req.BootstrapActions ?? []) {
    const p = ba.ScriptBootstrapAction?.Path;
    if (!inBucket(p)) refuse(file, `bootstrap action ${p} is outside the plan's bucket ${plan.bucket}`);
  }
  if (req.Instances?.KeepJobFlowAliveWhenNoSteps !== false) refuse(file, 'KeepJobFlowAliveWhenNoSteps must be false (the cluster must end with its step)');
  const idle = req.AutoTerminationPolicy?.IdleTimeout;
  if (!idle || idle > 24 * 3600) refuse(file, 'AutoTerminationPolicy.IdleTimeout must be set (at most 24 h)');
  if (!isOurs(req.Tags) || !req.Tags?.some((t) => t.Key === RUN_ID_TAG && t.Value === plan.runId)) {
    refuse(file, 'the cluster tags do not mark it as the workbench\'s (needed by --cleanup)');
  }
  if (req.Steps?.length !== 1) refuse(file, `expected exactly one step, found ${req.Steps?.length ?? 0}`);

  // Never trust the estimate written in the file: price the instances actually requested.
  const groups: PricedGroup[] = req.Instances!.InstanceGroups!.map((g) => ({
    role: g.InstanceRole!, instanceType: g.InstanceType!, count: g.InstanceCount!, market: g.Market ?? 'ON_DEMAND',
  }));
  const budget = Math.min(plan.budgetEur, opts.budgetEur ?? Infinity);
  if (!plan.forecast) {
    const estimate = estimateCost({ region, groups, minutes: plan.plannedMinutes, idleTimeoutMinutes: plan.idleTimeoutMinutes });
    assertWithinBudget(estimate, budget);
    return { ...plan, estimate };
  }
  // A forecast plan: forecast it again from the instances requested, the images uploaded and the profile it
  // carries, and hold that (not the figures written in the file) against today's budget.
  const throughput = parseThroughputProfile(plan.forecast.profile, `${file} forecast.profile`);
  const inputs = plan.uploads.filter((u) => u.role === 'input').length;
  const run = forecastEmr({
    profile: throughput,
    images: inputs > 0 ? inputs : plan.forecast.run.images,
    engine: plan.forecast.run.engine,
    ...pricedCluster(region, groups),
    tasksPerNode: plan.sizing.tasksPerNode,
    taskCpus: plan.sizing.taskCpus,
    uploadImages: inputs,
  });
  if (run.totalEur > budget) {
    throw new PlanRefusedError(
      `refused plan ${file}: its run is forecast at ${Math.ceil(run.totalMinutes)} min and ${run.totalEur.toFixed(2)} EUR, above the budget of ${budget.toFixed(2)} EUR`,
      'make a new plan (`npm run promote -- --plan-out FILE`): it says which --core-nodes fits the budget',
    );
  }
  const estimate = withS3Requests(
    estimateCost({ region, groups, minutes: run.totalMinutes, idleTimeoutMinutes: plan.idleTimeoutMinutes, worstCaseMinutes: plan.plannedMinutes + run.phases.teardown.minutes }),
    run.requests.scanEur,
  );
  return { ...plan, estimate, forecast: { ...plan.forecast, run } };
}

/** Reads, validates and checks the plan's local files still have the recorded bytes. */
export async function loadPlan(file: string, opts: { budgetEur?: number } = {}): Promise<SavedPlan> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    refuse(file, `cannot read it as JSON (${(err as Error).message})`);
  }
  const plan = validatePlan(raw, file, opts);
  for (const u of plan.uploads) {
    let now;
    try {
      now = await describeFile(u.source);
    } catch {
      refuse(file, `${u.source} (to upload as ${u.key}) no longer exists`);
    }
    if (now.md5 !== u.md5 || now.size !== u.bytes) refuse(file, `${u.source} changed since the plan was written`);
  }
  return plan;
}

/**
 * A saved Serverless plan (--plan-out FILE, then --plan FILE): the plan as canonical JSON with its sha256, checked
 * again when loaded: format, digest (not edited since), EU region, today's budget, and the uploads' files
 * unchanged (size; MD5 is re-checked by the uploader).
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { canonicalJson } from '../emr/plan-file.js';
import { assertEuRegion } from '../emr/region-guard.js';
import { PlanRefusedError } from '../errors.js';
import { assertServerlessWithinBudget } from './prices.js';
import { SERVERLESS_PLAN_FORMAT, type ServerlessPlan } from './plan.js';

export type SavedServerlessPlan = ServerlessPlan & { digest: string };

export const serverlessPlanDigest = (plan: ServerlessPlan) => createHash('sha256').update(canonicalJson(plan)).digest('hex');

export function sealServerlessPlan(plan: ServerlessPlan): SavedServerlessPlan {
  const { digest: _old, ...bare } = plan as SavedServerlessPlan;
  return { ...(bare as ServerlessPlan), digest: serverlessPlanDigest(bare as ServerlessPlan) };
}

export async function writeServerlessPlan(file: string, plan: ServerlessPlan): Promise<SavedServerlessPlan> {
  const sealed = sealServerlessPlan(plan);
  await writeFile(file, `${JSON.stringify(sealed, null, 2)}\n`);
  return sealed;
}

export function validateServerlessPlan(raw: unknown, file: string, o: { budgetEur?: number } = {}): SavedServerlessPlan {
  const p = raw as SavedServerlessPlan;
  if (!p || typeof p !== 'object' || p.format !== SERVERLESS_PLAN_FORMAT) {
    throw new PlanRefusedError(`refused: ${file} is not a Serverless plan (${SERVERLESS_PLAN_FORMAT})`, 'make one with `npm run promote -- --profile serverless --plan-out FILE`');
  }
  const { digest, ...bare } = p;
  if (digest !== serverlessPlanDigest(bare as ServerlessPlan)) {
    throw new PlanRefusedError(`refused: ${file} was changed after it was written (its digest does not match)`, 'make a new plan with --plan-out instead of editing one');
  }
  assertEuRegion(p.region);
  if (o.budgetEur !== undefined) assertServerlessWithinBudget(p.estimate, o.budgetEur);
  for (const u of p.uploads) {
    if (!existsSync(u.source) || statSync(u.source).size !== u.bytes) {
      throw new PlanRefusedError(`refused: ${u.source} changed or is gone since the plan was made`, 'make a new plan with --plan-out');
    }
  }
  return p;
}

export async function loadServerlessPlan(file: string, o: { budgetEur?: number } = {}): Promise<SavedServerlessPlan> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new PlanRefusedError(`refused: cannot read the plan ${file}: ${(err as Error).message}`, 'give the file --plan-out wrote');
  }
  return validateServerlessPlan(raw, file, o);
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeFile } from '../../src/storage/local-folder.js';
import { buildPromotePlan, type PromotePlan } from '../../src/emr/plan.js';
import { canonicalJson, loadPlan, sealPlan, validatePlan, writePlan } from '../../src/emr/plan-file.js';
import { PlanRefusedError } from '../../src/errors.js';
import { emrConfig, planInputs } from '../helpers/emr-fixtures.js';

const plan = () => buildPromotePlan(emrConfig(), planInputs());
/** Edit a plan and re-seal it, as someone who knows the digest scheme would. */
const resealed = (edit: (p: PromotePlan) => void) => {
  const p = structuredClone(plan());
  edit(p);
  return JSON.parse(JSON.stringify(sealPlan(p)));
};

describe('canonicalJson', () => {
  it('does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 3 } })).toBe(canonicalJson({ a: { c: 3, d: [2, { e: 0, f: 1 }] }, b: 1 }));
  });
});

describe('validatePlan', () => {
  it('accepts a sealed plan unchanged', () => {
    const sealed = JSON.parse(JSON.stringify(sealPlan(plan())));
    expect(validatePlan(sealed).runJobFlow).toEqual(plan().runJobFlow);
  });

  it('refuses a plan edited after sealing', () => {
    const sealed = JSON.parse(JSON.stringify(sealPlan(plan())));
    sealed.runJobFlow.Instances.InstanceGroups[1].InstanceCount = 3;
    expect(() => validatePlan(sealed, 'plan.json')).toThrow(/changed after it was written/);
  });

  it('refuses a re-sealed plan moved out of the EU', () => {
    expect(() => validatePlan(resealed((p) => void (p.region = 'us-east-1' as never)))).toThrow(/GDPR/);
    expect(() => validatePlan(resealed((p) => void (p.region = 'eu-west-2' as never)))).toThrow(/London/);
  });

  it('prices the instances requested, not the estimate written in the file', () => {
    const big = resealed((p) => {
      p.runJobFlow.Instances!.InstanceGroups![1]!.InstanceCount = 20;
      p.runJobFlow.Instances!.InstanceGroups![1]!.InstanceType = 'r5.xlarge';
      p.plannedMinutes = 600;
    });
    expect(big.estimate.totalEur).toBeLessThan(1); // the file still claims the old, small estimate
    expect(() => validatePlan(big)).toThrow(/above the budget/);
  });

  it('refuses a plan over today\'s budget even if it fit the budget it was written with', () => {
    const sealed = JSON.parse(JSON.stringify(sealPlan(plan())));
    expect(() => validatePlan(sealed, 'plan.json', { budgetEur: 0.1 })).toThrow(PlanRefusedError);
  });

  it.each([
    ['a cluster kept alive', (p: PromotePlan) => void (p.runJobFlow.Instances!.KeepJobFlowAliveWhenNoSteps = true), /KeepJobFlowAliveWhenNoSteps/],
    ['no idle auto-termination', (p: PromotePlan) => void delete p.runJobFlow.AutoTerminationPolicy, /IdleTimeout/],
    ['no owner tag', (p: PromotePlan) => void (p.runJobFlow.Tags = []), /tags/],
    ['logs elsewhere', (p: PromotePlan) => void (p.runJobFlow.LogUri = 's3://someone-else/logs/'), /LogUri/],
    ['a foreign bootstrap script', (p: PromotePlan) => void (p.runJobFlow.BootstrapActions![0]!.ScriptBootstrapAction!.Path = 's3://x/evil.sh'), /bootstrap/],
    ['an unknown release', (p: PromotePlan) => void (p.runJobFlow.ReleaseLabel = 'emr-6.15.0'), /release table/],
    ['two steps', (p: PromotePlan) => void p.runJobFlow.Steps!.push(p.runJobFlow.Steps![0]!), /exactly one step/],
    ['the account placeholder', (p: PromotePlan) => void (p.bucket = 'fruits-workbench-{account-id}-eu-west-3'), /not a valid bucket name/],
  ])('refuses a re-sealed plan with %s', (_what, edit, message) => {
    expect(() => validatePlan(resealed(edit))).toThrow(message);
  });

  it('refuses something that is not a plan', () => {
    expect(() => validatePlan({ hello: 1 }, 'x.json')).toThrow(/not a workbench promote plan/);
  });
});

describe('writePlan / loadPlan', () => {
  it('round-trips, and refuses once a file to upload has changed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wb-plan-'));
    const files = ['a.jpg', 'b.jpg'].map((n) => path.join(dir, n));
    for (const f of files) writeFileSync(f, `bytes of ${f}`);
    const described = await Promise.all(files.map((f) => describeFile(f)));
    const artifactFile = path.join(dir, 'entrypoint.py');
    writeFileSync(artifactFile, 'print(1)');
    const art = await describeFile(artifactFile);
    const p = buildPromotePlan(
      emrConfig(),
      planInputs({
        input: { kind: 'local', dir, files: described.map((d, i) => ({ ...d, relPath: path.basename(files[i]!) })) },
        artifact: { sha256: 'e'.repeat(64), files: { zip: art, entrypoint: art, lock: art, release: art, bootstrap: art, filter: art }, wheels: [] },
      }),
    );
    const file = path.join(dir, 'plan.json');
    await writePlan(file, p);
    expect((await loadPlan(file)).runId).toBe(p.runId);
    writeFileSync(files[1]!, 'different bytes');
    await expect(loadPlan(file)).rejects.toThrow(/b\.jpg changed since the plan was written/);
  });

  it('refuses a file that is not JSON', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'wb-plan-')), 'plan.json');
    writeFileSync(file, '{ nope');
    await expect(loadPlan(file)).rejects.toThrow(PlanRefusedError);
  });
});

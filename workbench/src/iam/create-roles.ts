/**
 * `--create-roles`: creates (or brings up to date) the roles a plan carries, with the IAM API. Idempotent: a role
 * that exists gets its trust policy, inline policy, managed policies and tags set again to what the plan says;
 * an instance profile is created once and holds its role once. Every role is tagged as the workbench's.
 */
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { CloudError } from '../errors.js';
import type { Output } from '../terminal/index.js';
import type { RoleSpec } from './policies.js';

/** The tag every workbench role carries (the same key as the clusters' and applications'). */
export const ROLE_TAGS = [{ Key: 'fruits-workbench', Value: 'true' }];

const missing = (err: unknown) => (err as { name?: string })?.name === 'NoSuchEntityException' || (err as { name?: string })?.name === 'NoSuchEntity';

export interface RoleResult {
  name: string;
  arn: string;
  created: boolean;
}

export async function ensureRoles(iam: IAMClient, roles: RoleSpec[], out: Output): Promise<RoleResult[]> {
  const results: RoleResult[] = [];
  for (const r of roles) {
    try {
      const trust = JSON.stringify(r.trust);
      let arn: string | undefined;
      let created = false;
      try {
        arn = (await iam.send(new GetRoleCommand({ RoleName: r.name }))).Role?.Arn;
        await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: r.name, PolicyDocument: trust }));
      } catch (err) {
        if (!missing(err)) throw err;
        arn = (await iam.send(new CreateRoleCommand({ RoleName: r.name, AssumeRolePolicyDocument: trust, Description: r.description.slice(0, 1000), Tags: ROLE_TAGS }))).Role?.Arn;
        created = true;
      }
      await iam.send(new TagRoleCommand({ RoleName: r.name, Tags: ROLE_TAGS }));
      if (r.inline) await iam.send(new PutRolePolicyCommand({ RoleName: r.name, PolicyName: r.inline.name, PolicyDocument: JSON.stringify(r.inline.document) }));
      for (const policyArn of r.managedPolicyArns ?? []) await iam.send(new AttachRolePolicyCommand({ RoleName: r.name, PolicyArn: policyArn }));
      if (r.instanceProfile) await ensureInstanceProfile(iam, r.name);
      out.info(`role ${r.name}: ${created ? 'created' : 'up to date'}${r.instanceProfile ? ' (with its instance profile)' : ''}`);
      results.push({ name: r.name, arn: arn ?? '', created });
    } catch (err) {
      throw new CloudError(`creating the IAM role ${r.name} failed: ${(err as Error).message}`, 'your identity needs iam:CreateRole, iam:PutRolePolicy, iam:TagRole (and iam:CreateInstanceProfile for EMR on EC2); or ask an administrator to create the roles the dry run prints', { cause: err });
    }
  }
  return results;
}

async function ensureInstanceProfile(iam: IAMClient, name: string): Promise<void> {
  let roles: string[] = [];
  try {
    roles = ((await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile?.Roles ?? []).map((x) => x.RoleName ?? '');
  } catch (err) {
    if (!missing(err)) throw err;
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Tags: ROLE_TAGS }));
  }
  if (!roles.includes(name)) await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));
}

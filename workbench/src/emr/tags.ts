/** The tags that mark a cluster as the workbench's: how `--cleanup` finds them, and how a human does. */
export const OWNER_TAG = { Key: 'fruits-workbench', Value: 'true' } as const;
export const RUN_ID_TAG = 'fruits-workbench:run-id';
export const ARTIFACT_TAG = 'fruits-workbench:artifact-sha256';
/** Which clone of the repository started the cluster (targets/emr.ts cloneIdOf). */
export const CLONE_TAG = 'fruits-workbench:clone';
/** The AWS identity (caller ARN) that started the cluster. */
export const IDENTITY_TAG = 'fruits-workbench:started-by';

/** Whether a workbench cluster was started by this clone or this identity: the default scope of --cleanup. */
export function isMine(tags: { Key?: string; Value?: string }[] | undefined, me: { clone: string; identity?: string }): boolean {
  const value = (key: string) => (tags ?? []).find((t) => t.Key === key)?.Value;
  return value(CLONE_TAG) === me.clone || (me.identity !== undefined && value(IDENTITY_TAG) === me.identity);
}

/** Cluster states in which a cluster still costs money and can be terminated. */
export const ACTIVE_CLUSTER_STATES = ['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING'] as const;

export function isOurs(tags: { Key?: string; Value?: string }[] | undefined): boolean {
  return (tags ?? []).some((t) => t.Key === OWNER_TAG.Key && t.Value === OWNER_TAG.Value);
}

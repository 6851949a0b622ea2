/** The tags that mark a cluster as the workbench's: how `--cleanup` finds them, and how a human does. */
export const OWNER_TAG = { Key: 'fruits-workbench', Value: 'true' } as const;
export const RUN_ID_TAG = 'fruits-workbench:run-id';
export const ARTIFACT_TAG = 'fruits-workbench:artifact-sha256';

/** Cluster states in which a cluster still costs money and can be terminated. */
export const ACTIVE_CLUSTER_STATES = ['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING'] as const;

export function isOurs(tags: { Key?: string; Value?: string }[] | undefined): boolean {
  return (tags ?? []).some((t) => t.Key === OWNER_TAG.Key && t.Value === OWNER_TAG.Value);
}

/**
 * `npm run promote -- --cleanup`: finds every cluster in the region that is still up (STARTING, BOOTSTRAPPING,
 * RUNNING, WAITING) and tagged fruits-workbench=true, and terminates it. Clusters without the tag are never
 * touched, whoever started them.
 */
import { DescribeClusterCommand, ListClustersCommand, type EMRClient } from '@aws-sdk/client-emr';
import type { Output } from '../commands/types.js';
import { toCloudError } from './aws-errors.js';
import type { Clock } from './clock.js';
import { ACTIVE_CLUSTER_STATES, isOurs } from './tags.js';
import { clusterTerminator } from './terminate.js';

export interface FoundCluster {
  id: string;
  name: string;
  state: string;
}

export async function findOurActiveClusters(emr: EMRClient): Promise<FoundCluster[]> {
  const found: FoundCluster[] = [];
  try {
    let marker: string | undefined;
    do {
      const page = await emr.send(new ListClustersCommand({ ClusterStates: [...ACTIVE_CLUSTER_STATES], Marker: marker }));
      for (const c of page.Clusters ?? []) {
        if (!c.Id) continue;
        // ListClusters has no tags: DescribeCluster has them.
        const d = await emr.send(new DescribeClusterCommand({ ClusterId: c.Id }));
        if (isOurs(d.Cluster?.Tags)) found.push({ id: c.Id, name: c.Name ?? '', state: c.Status?.State ?? '?' });
      }
      marker = page.Marker;
    } while (marker);
  } catch (err) {
    throw toCloudError(err, 'listing EMR clusters');
  }
  return found;
}

export async function cleanupClusters(
  emr: EMRClient,
  o: { region: string; out: Output; clock: Clock; terminateWaitMs?: number; terminateIntervalMs?: number },
): Promise<FoundCluster[]> {
  const ours = await findOurActiveClusters(emr);
  if (ours.length === 0) {
    o.out.result(`no active workbench clusters in ${o.region}`);
    return [];
  }
  o.out.info(`terminating ${ours.length} workbench cluster(s) in ${o.region}: ${ours.map((c) => `${c.id} (${c.state})`).join(', ')}`);
  // Terminate one by one through the same terminator as a run, so each says "cluster j-... terminated".
  const results = await Promise.allSettled(
    ours.map((c) =>
      clusterTerminator(emr, c.id, { region: o.region, out: o.out, clock: o.clock, waitMs: o.terminateWaitMs, intervalMs: o.terminateIntervalMs }).terminate(),
    ),
  );
  const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
  if (failed) throw failed.reason;
  return ours;
}

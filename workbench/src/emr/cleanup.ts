/**
 * `npm run promote -- --cleanup`: finds the clusters in the region that are still up (STARTING, BOOTSTRAPPING,
 * RUNNING, WAITING), tagged fruits-workbench=true AND started by this clone or this AWS identity, lists them,
 * and terminates them. `--all` widens to every workbench cluster (a colleague's run in progress included).
 * Clusters without the workbench tag are never touched, whoever started them.
 */
import { DescribeClusterCommand, ListClustersCommand, type EMRClient } from '@aws-sdk/client-emr';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { Output } from '../terminal/index.js';
import { toCloudError } from './aws-errors.js';
import type { Clock } from './clock.js';
import { ACTIVE_CLUSTER_STATES, isMine, isOurs } from './tags.js';
import { clusterTerminator } from './terminate.js';

export interface FoundCluster {
  id: string;
  name: string;
  state: string;
  /** Whether this clone or identity started it. */
  mine: boolean;
}

export async function findOurActiveClusters(emr: EMRClient, me: { clone: string; identity?: string }): Promise<FoundCluster[]> {
  const found: FoundCluster[] = [];
  try {
    let marker: string | undefined;
    do {
      const page = await emr.send(new ListClustersCommand({ ClusterStates: [...ACTIVE_CLUSTER_STATES], Marker: marker }));
      for (const c of page.Clusters ?? []) {
        if (!c.Id) continue;
        // ListClusters has no tags: DescribeCluster has them.
        const d = await emr.send(new DescribeClusterCommand({ ClusterId: c.Id }));
        if (isOurs(d.Cluster?.Tags)) found.push({ id: c.Id, name: c.Name ?? '', state: c.Status?.State ?? '?', mine: isMine(d.Cluster?.Tags, me) });
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
  o: { region: string; out: Output; clock: Clock; me: { clone: string; identity?: string }; all?: boolean; terminateWaitMs?: number; terminateIntervalMs?: number },
): Promise<FoundCluster[]> {
  const found = await findOurActiveClusters(emr, o.me);
  const ours = o.all ? found : found.filter((c) => c.mine);
  const others = found.length - ours.length;
  const othersNote = others > 0 ? `; ${others} other workbench cluster(s) started elsewhere left running (--all ends them too)` : '';
  if (ours.length === 0) {
    o.out.result(`no active workbench clusters ${o.all ? '' : 'of this clone or identity '}in ${o.region}${othersNote}`);
    return [];
  }
  o.out.info(`workbench clusters to terminate in ${o.region}${o.all ? ' (--all)' : ' (started by this clone or identity)'}:`);
  for (const c of ours) o.out.info(`  ${c.id}  ${c.state}  ${c.name}`);
  if (othersNote) o.out.info(othersNote.slice(2));
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

/**
 * `--cleanup` as one call: who the caller is (best effort: it only widens "this clone" to "this clone or this
 * identity"), then cleanupClusters.
 */
export async function cleanupOwnClusters(
  clients: { emr: EMRClient; sts: STSClient },
  o: { region: string; out: Output; clock: Clock; clone: string; all?: boolean },
): Promise<FoundCluster[]> {
  const identity = await clients.sts.send(new GetCallerIdentityCommand({})).then((r) => r.Arn, () => undefined);
  return cleanupClusters(clients.emr, { region: o.region, out: o.out, clock: o.clock, me: { clone: o.clone, identity }, all: o.all });
}

/**
 * `npm run promote -- --profile serverless --cleanup`: lists the EMR Serverless applications in the region that
 * still exist (any state but TERMINATED), tagged fruits-workbench=true AND started by this clone or this AWS
 * identity, then cancels their active job runs, stops and deletes them. `--all` widens to every workbench
 * application. Applications without the workbench tag are never touched, whoever created them.
 */
import {
  CancelJobRunCommand,
  GetApplicationCommand,
  ListApplicationsCommand,
  ListJobRunsCommand,
  type EMRServerlessClient,
} from '@aws-sdk/client-emr-serverless';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { toCloudError } from '../emr/aws-errors.js';
import type { Clock } from '../emr/clock.js';
import { isMine, isOurs } from '../emr/tags.js';
import type { Output } from '../terminal/index.js';
import { ACTIVE_APPLICATION_STATES, applicationTeardown } from './teardown.js';

export interface FoundApplication {
  id: string;
  name: string;
  state: string;
  mine: boolean;
}

const asTagList = (tags: Record<string, string> | undefined) => Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value }));

export async function findOurApplications(emrs: EMRServerlessClient, me: { clone: string; identity?: string }): Promise<FoundApplication[]> {
  const found: FoundApplication[] = [];
  try {
    let nextToken: string | undefined;
    do {
      const page = await emrs.send(new ListApplicationsCommand({ states: [...ACTIVE_APPLICATION_STATES], nextToken }));
      for (const a of page.applications ?? []) {
        if (!a.id) continue;
        // ListApplications has no tags: GetApplication has them.
        const d = (await emrs.send(new GetApplicationCommand({ applicationId: a.id }))).application;
        const tags = asTagList(d?.tags);
        if (isOurs(tags)) found.push({ id: a.id, name: a.name ?? '', state: d?.state ?? a.state ?? '?', mine: isMine(tags, me) });
      }
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (err) {
    throw toCloudError(err, 'listing EMR Serverless applications');
  }
  return found;
}

export async function cleanupApplications(
  clients: { emrs: EMRServerlessClient; sts: STSClient },
  o: { region: string; out: Output; clock: Clock; clone: string; all?: boolean; stopWaitMs?: number; stopIntervalMs?: number },
): Promise<FoundApplication[]> {
  const identity = await clients.sts.send(new GetCallerIdentityCommand({})).then((r) => r.Arn, () => undefined);
  const found = await findOurApplications(clients.emrs, { clone: o.clone, identity });
  const ours = o.all ? found : found.filter((a) => a.mine);
  const others = found.length - ours.length;
  const othersNote = others > 0 ? `; ${others} other workbench application(s) created elsewhere left alone (--all ends them too)` : '';
  if (ours.length === 0) {
    o.out.result(`no workbench EMR Serverless applications ${o.all ? '' : 'of this clone or identity '}in ${o.region}${othersNote}`);
    return [];
  }
  o.out.info(`workbench EMR Serverless applications to stop and delete in ${o.region}${o.all ? ' (--all)' : ' (created by this clone or identity)'}:`);
  for (const a of ours) o.out.info(`  ${a.id}  ${a.state}  ${a.name}`);
  if (othersNote) o.out.info(othersNote.slice(2));
  const results = await Promise.allSettled(
    ours.map(async (a) => {
      const runs = await clients.emrs.send(new ListJobRunsCommand({ applicationId: a.id, states: ['SUBMITTED', 'PENDING', 'SCHEDULED', 'RUNNING', 'QUEUED'] })).catch(() => ({ jobRuns: [] }));
      for (const r of runs.jobRuns ?? []) {
        if (r.id) await clients.emrs.send(new CancelJobRunCommand({ applicationId: a.id, jobRunId: r.id })).then(() => o.out.info(`job run ${r.id} of ${a.id} cancelled`));
      }
      return applicationTeardown(clients.emrs, a.id, { region: o.region, out: o.out, clock: o.clock, keep: false, waitMs: o.stopWaitMs, intervalMs: o.stopIntervalMs }).end();
    }),
  );
  const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
  if (failed) throw failed.reason;
  return ours;
}

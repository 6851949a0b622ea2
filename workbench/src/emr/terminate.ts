/**
 * Tearing a cluster down, exactly once however many paths ask for it (the executor's `finally` and the
 * scope's cleanup stack on Ctrl-C). It deliberately takes no AbortSignal: an interrupted run must still be
 * terminated. It waits until EMR reports TERMINATED (or TERMINATED_WITH_ERRORS) and says so.
 */
import { DescribeClusterCommand, TerminateJobFlowsCommand, type EMRClient } from '@aws-sdk/client-emr';
import type { Output } from '../terminal/index.js';
import { CloudError } from '../errors.js';
import type { Clock } from './clock.js';

export interface Terminator {
  clusterId: string;
  /** Idempotent: the first call terminates, later calls return the same promise. Resolves to the final state. */
  terminate(): Promise<string>;
}

export function clusterTerminator(
  emr: EMRClient,
  clusterId: string,
  o: { region: string; out: Output; clock: Clock; waitMs?: number; intervalMs?: number },
): Terminator {
  let done: Promise<string> | undefined;
  const waitMs = o.waitMs ?? 15 * 60_000;
  const intervalMs = o.intervalMs ?? 15_000;
  const run = async (): Promise<string> => {
    try {
      await emr.send(new TerminateJobFlowsCommand({ JobFlowIds: [clusterId] }));
    } catch (err) {
      o.out.warn(`COULD NOT TERMINATE cluster ${clusterId}: ${(err as Error).message}`);
      throw new CloudError(
        `cluster ${clusterId} may still be running (and costing money): the terminate request failed`,
        `run \`npm run promote -- --cleanup --region ${o.region}\` or \`aws emr terminate-clusters --cluster-ids ${clusterId} --region ${o.region}\``,
        { cause: err },
      );
    }
    const started = o.clock.now();
    let state = 'TERMINATING';
    for (;;) {
      try {
        const res = await emr.send(new DescribeClusterCommand({ ClusterId: clusterId }));
        state = res.Cluster?.Status?.State ?? state;
      } catch {
        // The terminate request was accepted; a failed status read does not change that.
      }
      if (state === 'TERMINATED' || state === 'TERMINATED_WITH_ERRORS') break;
      if (o.clock.now() - started >= waitMs) {
        o.out.warn(
          `cluster ${clusterId}: termination requested, still ${state}; check with ` +
            `\`aws emr describe-cluster --cluster-id ${clusterId} --region ${o.region} --query Cluster.Status.State\``,
        );
        return state;
      }
      await o.clock.sleep(intervalMs);
    }
    o.out.info(`cluster ${clusterId} terminated (${state})`);
    return state;
  };
  return {
    clusterId,
    terminate() {
      done ??= run();
      return done;
    },
  };
}

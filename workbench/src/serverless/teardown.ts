/**
 * Ending what a Serverless run started, exactly once however many paths ask (the executor's `finally`, the
 * scope's clean-up on Ctrl-C, --cleanup): the job run cancelled if still active, the application stopped, then
 * deleted unless the profile keeps it. It takes no AbortSignal: an interrupted run must still be ended.
 */
import {
  CancelJobRunCommand,
  DeleteApplicationCommand,
  GetApplicationCommand,
  GetJobRunCommand,
  StopApplicationCommand,
  type EMRServerlessClient,
} from '@aws-sdk/client-emr-serverless';
import type { Clock } from '../emr/clock.js';
import { CloudError } from '../errors.js';
import type { Output } from '../terminal/index.js';

/** Job-run states after which nothing more happens (and nothing is billed). */
export const FINAL_JOB_RUN_STATES = ['SUCCESS', 'FAILED', 'CANCELLED'] as const;
/** Application states that still hold (or may start) workers. */
export const ACTIVE_APPLICATION_STATES = ['CREATING', 'CREATED', 'STARTING', 'STARTED', 'STOPPING', 'STOPPED'] as const;

export interface ApplicationTeardown {
  applicationId: string;
  /** The job run to cancel first, once its id is known. */
  setJobRun(id: string): void;
  /** Idempotent: the first call ends, later calls return the same promise. Resolves to the application's final state. */
  end(): Promise<string>;
}

export function applicationTeardown(
  emrs: EMRServerlessClient,
  applicationId: string,
  o: { region: string; out: Output; clock: Clock; keep: boolean; waitMs?: number; intervalMs?: number },
): ApplicationTeardown {
  let jobRunId: string | undefined;
  let done: Promise<string> | undefined;
  const waitMs = o.waitMs ?? 10 * 60_000;
  const intervalMs = o.intervalMs ?? 5_000;
  const fix = `run \`npm run promote -- --profile serverless --cleanup --region ${o.region}\` or \`aws emr-serverless stop-application --application-id ${applicationId} --region ${o.region}\``;
  const state = async () => (await emrs.send(new GetApplicationCommand({ applicationId }))).application?.state ?? 'UNKNOWN';

  const run = async (): Promise<string> => {
    if (jobRunId) {
      const run = await emrs.send(new GetJobRunCommand({ applicationId, jobRunId })).catch(() => undefined);
      const s = run?.jobRun?.state;
      if (s && !(FINAL_JOB_RUN_STATES as readonly string[]).includes(s) && s !== 'CANCELLING') {
        await emrs.send(new CancelJobRunCommand({ applicationId, jobRunId })).then(
          () => o.out.info(`job run ${jobRunId} cancelled (was ${s})`),
          (err) => o.out.warn(`could not cancel job run ${jobRunId}: ${(err as Error).message}`),
        );
      }
    }
    try {
      let s = await state();
      if (s === 'STARTING' || s === 'STARTED') {
        await emrs.send(new StopApplicationCommand({ applicationId }));
        s = await state();
      }
      // Stopping releases the workers; a stopped (or never started) application can be deleted.
      const started = o.clock.now();
      while (s === 'STOPPING' || s === 'STARTING' || s === 'CREATING') {
        if (o.clock.now() - started >= waitMs) {
          o.out.warn(`application ${applicationId}: stop requested, still ${s}`);
          return s;
        }
        await o.clock.sleep(intervalMs);
        s = await state();
        if (s === 'STARTED') await emrs.send(new StopApplicationCommand({ applicationId }));
      }
      if (o.keep) {
        o.out.info(`application ${applicationId} stopped (${s}); kept, as the profile says (keepApplication)`);
        return s;
      }
      if (s !== 'TERMINATED') await emrs.send(new DeleteApplicationCommand({ applicationId }));
      o.out.info(`application ${applicationId} stopped and deleted`);
      return 'TERMINATED';
    } catch (err) {
      o.out.warn(`COULD NOT END application ${applicationId}: ${(err as Error).message}`);
      throw new CloudError(`EMR Serverless application ${applicationId} may still be up: stopping or deleting it failed`, fix, { cause: err });
    }
  };
  return {
    applicationId,
    setJobRun(id) {
      jobRunId = id;
    },
    end() {
      done ??= run();
      return done;
    },
  };
}

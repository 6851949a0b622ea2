/**
 * Shows the job's progress compactly: the job's own stage lines as permanent lines, Spark's current stage and
 * its task count on the task's live line (TTY), or a line per Spark stage that took at least a second
 * (no TTY: a log shows where the time went without listing dozens of instant bookkeeping stages).
 */
import type { ProgressEvent } from '../job/progress.js';
import type { Output, Task } from '../terminal/index.js';

/** Without a TTY, Spark stages shorter than this are not listed. */
export const PLAIN_STAGE_MIN_SECONDS = 1;

export function createJobProgressView(out: Output, task: Task): (event: ProgressEvent) => void {
  const stages = new Map<number, { name: string; tasks: number }>();
  return (event) => {
    switch (event.kind) {
      case 'job':
        out.info(`  job: ${event.text}`);
        break;
      case 'job-error':
        out.info(`  job error: ${event.text}`);
        break;
      case 'stage-start':
        stages.set(event.stage, { name: event.name, tasks: event.tasks });
        task.status(`  spark stage ${event.stage} (${event.name}): 0/${event.tasks} tasks`);
        break;
      case 'task-done': {
        const name = stages.get(event.stage)?.name ?? '';
        task.status(`  spark stage ${event.stage}${name ? ` (${name})` : ''}: ${event.done}/${event.total} tasks`);
        break;
      }
      case 'stage-done':
        if (!out.isTTY && event.seconds >= PLAIN_STAGE_MIN_SECONDS) out.info(`  spark stage ${event.stage} (${event.name}) finished in ${event.seconds} s`);
        break;
      case 'stage-failed':
        out.info(`  spark stage ${event.stage} (${event.name}) failed: ${event.reason.slice(0, 300)}`);
        break;
      case 'task-lost':
        out.info(`  spark: lost a task in stage ${event.stage} (Spark retries it): ${event.text.slice(0, 200)}`);
        break;
    }
  };
}

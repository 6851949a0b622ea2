/**
 * Turns spark-submit's output lines into a few progress events. Pure. Spark's scheduler logs (log4j's default
 * pattern `yy/MM/dd HH:mm:ss LEVEL Logger: message`) say when a stage starts, how many of its tasks are done and
 * when it ends; the job's own lines (prefix `fruits-job:`) name its stages (read, featurize, pca, write).
 */
export type ProgressEvent =
  | { kind: 'stage-start'; stage: number; tasks: number; name: string }
  | { kind: 'task-done'; stage: number; done: number; total: number }
  | { kind: 'stage-done'; stage: number; name: string; seconds: number }
  | { kind: 'stage-failed'; stage: number; name: string; reason: string }
  | { kind: 'task-lost'; stage: number; text: string }
  | { kind: 'job'; text: string }
  | { kind: 'job-error'; text: string };

export const SUMMARY_MARKER = 'FRUITS_JOB_SUMMARY';

const SUBMITTING = /DAGScheduler: Submitting (\d+) missing tasks from \w+Stage (\d+) \((.*?)\)(?: \(first|$)/;
const TASK_DONE = /TaskSetManager: Finished task \S+ in stage (\d+)\.\d+ .*\((\d+)\/(\d+)\)\s*$/;
const STAGE_DONE = /DAGScheduler: \w+Stage (\d+) \((.*)\) finished in ([\d.]+) s/;
const STAGE_FAILED = /DAGScheduler: \w+Stage (\d+) \((.*)\) failed in [\d.]+ s due to (.*)$/;
const TASK_LOST = /WARN TaskSetManager: Lost task \S+ in stage (\d+)\.\d+ (.*)$/;
const JOB_LINE = /^fruits-job: (.*)$/;

/** "MapPartitionsRDD[12] at mapInPandas at NativeMethodAccessorImpl.java:0" -> "mapInPandas". */
export function shortStageName(callSite: string): string {
  const m = /(?:^|\] at )(\w+) at /.exec(callSite) ?? /^(\w+) at /.exec(callSite);
  return m ? m[1]! : callSite;
}

export function parseOutputLine(line: string): ProgressEvent | undefined {
  let m: RegExpExecArray | null;
  if ((m = TASK_DONE.exec(line))) return { kind: 'task-done', stage: Number(m[1]), done: Number(m[2]), total: Number(m[3]) };
  if ((m = SUBMITTING.exec(line))) return { kind: 'stage-start', stage: Number(m[2]), tasks: Number(m[1]), name: shortStageName(m[3]!) };
  if ((m = STAGE_DONE.exec(line))) return { kind: 'stage-done', stage: Number(m[1]), name: shortStageName(m[2]!), seconds: Number(m[3]) };
  if ((m = STAGE_FAILED.exec(line))) return { kind: 'stage-failed', stage: Number(m[1]), name: shortStageName(m[2]!), reason: m[3]! };
  if ((m = TASK_LOST.exec(line))) return { kind: 'task-lost', stage: Number(m[1]), text: m[2]! };
  if ((m = JOB_LINE.exec(line))) {
    const text = m[1]!;
    return text.startsWith('error:') ? { kind: 'job-error', text: text.slice('error:'.length).trim() } : { kind: 'job', text };
  }
  return undefined;
}

/**
 * Finds the manifest JSON after the FRUITS_JOB_SUMMARY marker in the job's stdout: on the marker's own line
 * (`FRUITS_JOB_SUMMARY {...}`) or on the next non-empty line. Returns the last one if printed more than once.
 */
export function extractSummaryJson(stdoutLines: string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < stdoutLines.length; i++) {
    const line = stdoutLines[i]!;
    if (!line.startsWith(SUMMARY_MARKER)) continue;
    const rest = line.slice(SUMMARY_MARKER.length).trim();
    if (rest.startsWith('{')) found = rest;
    else {
      const next = stdoutLines.slice(i + 1).find((l) => l.trim() !== '');
      if (next?.trim().startsWith('{')) found = next.trim();
    }
  }
  return found;
}

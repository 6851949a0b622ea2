import { describe, expect, it } from 'vitest';
import { extractSummaryJson, parseOutputLine } from '../../src/job/progress.js';
import { createJobProgressView } from '../../src/run/job-progress-view.js';
import { createTerminalOutput } from '../../src/terminal/index.js';

// Lines as spark-submit 3.5.6 prints them (captured from a real local[2] run).
const SPARK = {
  submit:
    '26/11/25 20:06:53 INFO DAGScheduler: Submitting 3 missing tasks from ShuffleMapStage 0 (MapPartitionsRDD[3] at collect at /tmp/sparkprobe/job.py:5) (first 15 tasks are for partitions Vector(0, 1, 2))',
  finishedTask: '26/11/25 20:06:54 INFO TaskSetManager: Finished task 1.0 in stage 0.0 (TID 1) in 859 ms on 127.0.0.1 (executor driver) (1/3)',
  startedTask: '26/11/25 20:06:53 INFO TaskSetManager: Starting task 0.0 in stage 0.0 (TID 0) (127.0.0.1, executor driver, partition 0, PROCESS_LOCAL, 9113 bytes) ',
  stageDone: '26/11/25 20:06:54 INFO DAGScheduler: ShuffleMapStage 0 (collect at /tmp/sparkprobe/job.py:5) finished in 1.578 s',
  resultDone: '26/11/25 20:06:55 INFO DAGScheduler: ResultStage 2 (mapInPandas at NativeMethodAccessorImpl.java:0) finished in 0.449 s',
  lost: '26/11/25 20:07:01 WARN TaskSetManager: Lost task 0.0 in stage 3.0 (TID 7) (127.0.0.1 executor 1): java.io.IOException: boom',
};

describe('parseOutputLine', () => {
  it('recognizes stage starts, task completions and stage ends', () => {
    expect(parseOutputLine(SPARK.submit)).toEqual({ kind: 'stage-start', stage: 0, tasks: 3, name: 'collect' });
    expect(parseOutputLine(SPARK.finishedTask)).toEqual({ kind: 'task-done', stage: 0, done: 1, total: 3 });
    expect(parseOutputLine(SPARK.stageDone)).toEqual({ kind: 'stage-done', stage: 0, name: 'collect', seconds: 1.578 });
    expect(parseOutputLine(SPARK.resultDone)).toMatchObject({ kind: 'stage-done', stage: 2, name: 'mapInPandas' });
    expect(parseOutputLine(SPARK.lost)).toMatchObject({ kind: 'task-lost', stage: 3 });
    expect(parseOutputLine(SPARK.startedTask)).toBeUndefined();
  });

  it("recognizes the job's own lines and its error line", () => {
    expect(parseOutputLine('fruits-job: featurize: 390 images')).toEqual({ kind: 'job', text: 'featurize: 390 images' });
    expect(parseOutputLine('fruits-job: error: input is empty')).toEqual({ kind: 'job-error', text: 'input is empty' });
    expect(parseOutputLine('some other line')).toBeUndefined();
  });
});

describe('extractSummaryJson', () => {
  it('reads the manifest from the line after the marker', () => {
    expect(extractSummaryJson(['fruits-job: done', '!!!!', 'FRUITS_JOB_SUMMARY', '{"run_id":"r1"}'])).toBe('{"run_id":"r1"}');
  });
  it('reads the manifest from the marker line itself', () => {
    expect(extractSummaryJson(['FRUITS_JOB_SUMMARY {"run_id":"r2"}'])).toBe('{"run_id":"r2"}');
  });
  it('returns undefined without a marker', () => {
    expect(extractSummaryJson(['{"run_id":"r3"}'])).toBeUndefined();
  });
});

describe('job progress view', () => {
  function capture(isTTY: boolean) {
    let text = '';
    const stream = { isTTY, columns: 80, write: (s: string) => (text += s) };
    const out = createTerminalOutput({ stderr: stream, stdout: stream }, (() => { let t = 0; return () => (t += 1000); })());
    const task = out.task('job');
    const view = createJobProgressView(out, task);
    for (const line of [SPARK.submit, SPARK.finishedTask, SPARK.stageDone, SPARK.resultDone, 'fruits-job: featurized 390']) {
      const event = parseOutputLine(line);
      if (event) view(event);
    }
    return text;
  }

  it('prints plain lines without a TTY: the job lines and the stages that took a second or more', () => {
    expect(capture(false)).toBe('  spark stage 0 (collect) finished in 1.578 s\n  job: featurized 390\n');
  });

  it('updates one line in place on a TTY and keeps the job lines', () => {
    const text = capture(true);
    expect(text).toContain('\r\x1b[2K  spark stage 0 (collect): 1/3 tasks');
    // The job's permanent line went above the live line, which was drawn again below it.
    expect(text.lastIndexOf('spark stage 0 (collect): 1/3 tasks')).toBeGreaterThan(text.indexOf('  job: featurized 390\n'));
    expect(text).toContain('  job: featurized 390\n');
    expect(text).not.toContain('finished in');
  });
});

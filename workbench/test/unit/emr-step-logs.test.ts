import { gzipSync } from 'node:zlib';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { fetchStepStderrTail, lastLines, stepStderrUri } from '../../src/emr/step-logs.js';
import { answerWith, fakeClock, recordingOutput } from '../helpers/emr-fixtures.js';

const noSuchKey = () => Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });

function s3AppearingAfter(misses: number, text: string) {
  let calls = 0;
  const keys: string[] = [];
  const s3 = new S3Client({ region: 'eu-west-3', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  answerWith(s3, {
    GetObjectCommand: (input) => {
      keys.push(`${input.Bucket}/${input.Key}`);
      if (calls++ < misses) throw noSuchKey();
      const bytes = gzipSync(text);
      return { Body: { transformToByteArray: async () => new Uint8Array(bytes) } };
    },
  });
  return { s3, keys };
}

describe('step stderr', () => {
  it('builds the documented location under the log URI', () => {
    expect(stepStderrUri('s3://b/logs/', 'j-ABC', 's-XYZ')).toBe('s3://b/logs/j-ABC/steps/s-XYZ/stderr.gz');
    expect(stepStderrUri('s3://b/logs', 'j-ABC', 's-XYZ')).toBe('s3://b/logs/j-ABC/steps/s-XYZ/stderr.gz');
  });

  it('keeps the last lines', () => {
    expect(lastLines('a\nb\nc\n', 2)).toEqual(['b', 'c']);
  });

  it('waits while the log is not in S3 yet, says so once, then prints the tail', async () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n') + '\nfruits-job: error: no images\n';
    const { s3, keys } = s3AppearingAfter(2, text);
    const out = recordingOutput();
    const clock = fakeClock();
    const tail = await fetchStepStderrTail(s3, { uri: 's3://b/logs/j-1/steps/s-1/stderr.gz', attempts: 5, intervalMs: 30_000, tailLines: 3, clock, out });
    expect(tail).toEqual(['line 98', 'line 99', 'fruits-job: error: no images']);
    expect(keys).toEqual(Array(3).fill('b/logs/j-1/steps/s-1/stderr.gz'));
    expect(out.lines.filter((l) => /can take up to/.test(l))).toHaveLength(1);
    expect(clock.slept).toEqual([30_000, 30_000]);
  });

  it('gives up after the attempts and returns undefined', async () => {
    const { s3 } = s3AppearingAfter(99, '');
    const tail = await fetchStepStderrTail(s3, { uri: 's3://b/x/stderr.gz', attempts: 3, intervalMs: 1000, tailLines: 3, clock: fakeClock(), out: recordingOutput() });
    expect(tail).toBeUndefined();
  });
});

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { refreshThroughputProfile, scaleMeasuredPacked } from '../../src/bench/profile-refresh.js';

describe('the throughput profile and a packed scale bench', () => {
  it('is never derived from a scale.json measured on packed input (the forecast prices EMR, which reads images)', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'wb-profile-'));
    mkdirSync(path.join(root, 'bench-results'));
    const write = (input_format?: string) =>
      writeFileSync(path.join(root, 'bench-results', 'scale.json'), JSON.stringify({ measured_at: 'x', machine: { cpu_model: 'c', cores: 2 }, sizes: [{ images: 1, engine: 'onnxruntime', job_step_s: 1, input_format }] }));
    write('packed');
    expect(scaleMeasuredPacked(root)).toBe(true);
    await expect(refreshThroughputProfile(root)).rejects.toThrow(/measured with job\.inputFormat packed[\s\S]*--input-format images/);
    write('images');
    expect(scaleMeasuredPacked(root)).toBe(false);
    write(undefined);
    expect(scaleMeasuredPacked(root)).toBe(false);
  });
});

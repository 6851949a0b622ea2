import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import type { RunContext } from '../../src/context.js';
import { ResourceStack } from '../../src/lifecycle.js';
import { resolveInput } from '../../src/targets/emr.js';
import { refusePackedInput } from '../../src/targets/input-format.js';
import { prepareNotebook } from '../../src/targets/notebook.js';
import { memoryOutput } from '../../src/terminal/memory-output.js';

function root(yaml = ''): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'wb-config-'));
  writeFileSync(path.join(dir, 'workbench.yaml'), yaml);
  return dir;
}

function problems(fn: () => unknown): ConfigError['problems'] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

const ctx = (): RunContext => ({ out: memoryOutput(), env: {}, signal: new AbortController().signal, stack: new ResourceStack() });

describe('job.inputFormat', () => {
  it('defaults to images; the file, then WORKBENCH_INPUT_FORMAT, then --input-format set it', () => {
    expect(loadConfig({ root: root(), env: {} }).job.inputFormat).toBe('images');
    expect(loadConfig({ root: root('job:\n  inputFormat: packed\n'), env: {} }).job.inputFormat).toBe('packed');
    expect(loadConfig({ root: root(), env: { WORKBENCH_INPUT_FORMAT: 'packed' } }).job.inputFormat).toBe('packed');
    expect(loadConfig({ root: root('job:\n  inputFormat: packed\n'), env: {}, flags: { inputFormat: 'images' } }).job.inputFormat).toBe('images');
  });

  it('names the key (or the flag / env var that set it) and the values it takes', () => {
    expect(problems(() => loadConfig({ root: root('job:\n  inputFormat: parquet\n'), env: {} }))).toEqual([
      { key: 'job.inputFormat', message: 'must be images or packed', fix: expect.stringMatching(/^images \(one object per image\) or packed/) },
    ]);
    expect(problems(() => loadConfig({ root: root(), env: {}, flags: { inputFormat: 'zip' } }))[0]!.key).toBe('--input-format');
    expect(problems(() => loadConfig({ root: root(), env: { WORKBENCH_INPUT_FORMAT: 'zip' } }))[0]!.key).toBe('WORKBENCH_INPUT_FORMAT');
  });
});

describe('targets other than the local stack refuse packed input', () => {
  const packed = () => loadConfig({ root: root('job:\n  inputFormat: packed\n'), env: {} });

  it('refusePackedInput: nothing for images, a ConfigError naming job.inputFormat and the fix for packed', () => {
    expect(() => refusePackedInput(loadConfig({ root: root(), env: {} }), 'promote', 'promote')).not.toThrow();
    expect(problems(() => refusePackedInput(packed(), 'promote', 'promote'))).toEqual([
      { key: 'job.inputFormat', message: expect.stringContaining('npm run local only'), fix: 'set job.inputFormat: images for this target' },
    ]);
  });

  it('every promote plan (EMR, Serverless, the rehearsals) and the notebook refuse it before any set-up', async () => {
    await expect(resolveInput(packed(), ctx())).rejects.toThrow(/job\.inputFormat: packed is supported by npm run local only[\s\S]*set job\.inputFormat: images for this target/);
    await expect(prepareNotebook(packed(), ctx(), { perClass: 1 })).rejects.toThrow(/job\.inputFormat: packed is supported by npm run local only/);
  });
});

/**
 * `npm run parity` as a command: two operands are compared and the report written; no operand runs the job on
 * the local then the cluster profile through the injected ProduceRun; a failing check is a ParityError (exit 6).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createParityCommand } from '../../src/commands/parity.js';
import type { CommandContext } from '../../src/commands/types.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError, ParityError } from '../../src/errors.js';
import type { ParityDeps, RunProfileName } from '../../src/commands/parity-deps.js';
import { ResourceStack } from '../../src/lifecycle.js';
import { baseRun, relabel, rerun, writeRun } from '../fixtures/parity/synthetic-run.js';
import { linesOutput } from '../../src/terminal/index.js';

function context(root: string) {
  const lines = { result: [] as string[], info: [] as string[] };
  const ctx: CommandContext = {
    signal: new AbortController().signal,
    stack: new ResourceStack(),
    out: linesOutput((l) => lines.info.push(l), (l) => lines.result.push(l)),
    env: {},
    root,
    loadConfig: () => loadConfig({ root, env: { HOME: root } }),
  };
  return { ctx, lines };
}

const noS3: ParityDeps['s3ClientFor'] = () => {
  throw new Error('no S3 in this test');
};

function repo() {
  const root = mkdtempSync(path.join(tmpdir(), 'parity-cmd-'));
  mkdirSync(path.join(root, 'runs'));
  return root;
}

describe('parity command', () => {
  it('compares two run folders, prints the table and writes the JSON beside them', async () => {
    const root = repo();
    const base = baseRun();
    writeRun(path.join(root, 'runs', 'run-a'), base);
    writeRun(path.join(root, 'runs', 'run-b'), rerun(base));
    const { ctx, lines } = context(root);
    const command = createParityCommand({ produceRun: () => Promise.reject(new Error('not called')), s3ClientFor: noS3 });
    expect(await command.run({ options: {}, operands: ['run-a', path.join(root, 'runs', 'run-b')] }, ctx)).toBe(0);
    expect(lines.result.at(-1)).toMatch(/^parity holds: 19 passed, 0 failed/);
    const file = path.join(root, 'runs', 'parity-run-a-vs-run-b.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ outcome: 'pass', tolerances: { featureMaxAbs: 1e-3 } });
  });

  it('fails with a ParityError (exit 6) naming the failing check', async () => {
    const root = repo();
    const base = baseRun();
    writeRun(path.join(root, 'runs', 'run-a'), base);
    writeRun(path.join(root, 'runs', 'run-b'), relabel(rerun(base), 'Apricot/1_100.jpg', 'Cherry'));
    const { ctx, lines } = context(root);
    const command = createParityCommand({ produceRun: () => Promise.reject(new Error('not called')), s3ClientFor: noS3 });
    const report = path.join(root, 'out', 'r.json');
    const err = await command.run({ options: { report }, operands: ['run-a', 'run-b'] }, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParityError);
    expect((err as ParityError).exitCode).toBe(6);
    expect((err as ParityError).message).toMatch(/^parity failed at layer 2 \(keys\): keys\.labels \(1 of 13 labels differ/);
    expect(lines.result.join('\n')).toMatch(/Apricot\/1_100\.jpg: Apricot vs Cherry/);
    expect(JSON.parse(readFileSync(report, 'utf8')).failed_layer).toEqual({ layer: 2, name: 'keys' });
  });

  it('with no operands runs the job on local, then cluster, and compares the two runs', async () => {
    const root = repo();
    const base = baseRun();
    const asked: RunProfileName[] = [];
    const produceRun: ParityDeps['produceRun'] = async (profile, { cfg, command }) => {
      asked.push(profile);
      expect(cfg.profiles[profile]?.kind).toBe(profile);
      expect(command.signal.aborted).toBe(false);
      const id = `${profile}-run`;
      return { runDir: writeRun(path.join(cfg.runsDir, id), rerun(base, id)) };
    };
    const { ctx, lines } = context(root);
    expect(await createParityCommand({ produceRun, s3ClientFor: noS3 }).run({ options: {}, operands: [] }, ctx)).toBe(0);
    expect(asked).toEqual(['local', 'cluster']);
    expect(lines.result[0]).toMatch(/A: .*runs\/local-run \(run local-run\)/);
    expect(existsSync(path.join(root, 'runs', 'parity-local-run-vs-cluster-run.json'))).toBe(true);
  });

  it('refuses a single operand with a usage error', async () => {
    const { ctx } = context(repo());
    const command = createParityCommand({ produceRun: () => Promise.reject(new Error('not called')), s3ClientFor: noS3 });
    await expect(command.run({ options: {}, operands: ['only-one'] }, ctx)).rejects.toBeInstanceOf(ConfigError);
  });

  it('a missing run gives its clear error, not a stack trace', async () => {
    const root = repo();
    const { ctx } = context(root);
    const command = createParityCommand({ produceRun: () => Promise.reject(new Error('not called')), s3ClientFor: noS3 });
    await expect(command.run({ options: {}, operands: ['run-x', 'run-y'] }, ctx)).rejects.toThrow(/^run run-x: no such run folder/);
  });
});

/**
 * End to end, as a newcomer: a fresh `git clone` of the committed HEAD, then `make local`. It must set itself up
 * (npm ci, venv, jars, MinIO: all cached outside the clone, so this is quick after the first run), run the job on
 * the generated sample data, print the summary, exit 0 and leave no process behind.
 *
 * It runs on whichever Node is first on PATH: `make test` on the machine's, `make test-node-versions` again under
 * each of versions.json node.ci (Node 22 and 24), and the test checks that the clone's make really uses that one.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const isGitRepo = existsSync(path.join(root, '.git'));

/** Processes whose command line mentions `dir` (MinIO, Spark JVMs, Python workers started from the clone). */
function processesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(dir) && Number(pid) !== process.pid) found.push(`${pid}: ${cmd.slice(0, 160)}`);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

describe.skipIf(!isGitRepo)('make local from a fresh clone', () => {
  const clone = mkdtempSync(path.join(tmpdir(), 'fruits-fresh-clone-'));
  afterAll(() => rmSync(clone, { recursive: true, force: true }));

  it('sets up, runs the job on the sample data, prints the summary and leaves nothing running', () => {
    execFileSync('git', ['clone', '--quiet', root, clone]);
    // The `node` make, npx and tsx find on PATH is the Node running this test (the version under test).
    expect(execFileSync('node', ['--version'], { cwd: clone, encoding: 'utf8' }).trim()).toBe(process.version);
    const res = spawnSync('make', ['local'], {
      cwd: clone,
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0' },
      timeout: 20 * 60_000,
    });
    const output = `${res.stdout}\n${res.stderr}`;
    if (res.status !== 0) console.error(output.slice(-6000));
    expect(res.status).toBe(0);
    expect(output).toMatch(/images\s*[:=]?\s*\d+/i);
    expect(output).toMatch(/\bk\b\s*[:=]?\s*\d+/);
    const runs = readdirSync(path.join(clone, 'runs')).filter((d) => existsSync(path.join(clone, 'runs', d, 'manifest.json')));
    expect(runs.length).toBe(1);
    const manifest = JSON.parse(readFileSync(path.join(clone, 'runs', runs[0]!, 'manifest.json'), 'utf8'));
    expect(manifest.counts.inputs).toBe(manifest.counts.features + manifest.counts.errors);
    expect(processesUnder(clone)).toEqual([]);
  });
});

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobError } from '../../src/errors.js';
import { BOOTSTRAP_LOG, runBootstrap } from '../../src/targets/rehearsal/bootstrap.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'wb-bootstrap-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the rehearsal bootstrap', () => {
  it('a failing bootstrap shows the real end of its log, kept in the run folder after the temporary folder is gone', async () => {
    const work = mkdtempSync(path.join(tmp, 'work-'));
    const runDir = mkdtempSync(path.join(tmp, 'run-'));
    const script = path.join(work, 'bootstrap.sh');
    writeFileSync(script, 'echo "fruits-bootstrap: installing wheels"\necho "ERROR: no matching distribution for numpy==9.9" >&2\nexit 3\n');
    const err = await runBootstrap({ script, args: ['--x'], env: { PATH: process.env.PATH }, runDir, signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobError);
    const message = (err as Error).message;
    expect(message).not.toMatch(/is empty/);
    expect(message).toContain('no matching distribution for numpy==9.9');
    expect(message).toContain(path.join(runDir, BOOTSTRAP_LOG));
    rmSync(work, { recursive: true, force: true }); // the rehearsal's clean-up
    expect(existsSync(path.join(runDir, BOOTSTRAP_LOG))).toBe(true);
    expect(readFileSync(path.join(runDir, BOOTSTRAP_LOG), 'utf8')).toContain('installing wheels');
  });
});

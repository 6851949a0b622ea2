/**
 * vitest globalSetup: every temp folder a test run makes lives under one folder of its own, removed when the run
 * ends. Tests call `mkdtempSync(path.join(tmpdir(), ...))` in many places, and the processes they start (the CLI,
 * Spark's Python, pip) make their own; without this, each `make test` left thousands of folders, some of them
 * hundreds of MB of copied images, in the machine's /tmp. os.tmpdir() reads TMPDIR on each call, and the test
 * workers and their children inherit it from here.
 *
 * WORKBENCH_KEEP_TEST_TMP=1 keeps the folder (its path is printed) to look at a failed run's logs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(path.join(tmpdir(), 'fruits-test-run-'));
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (process.env.WORKBENCH_KEEP_TEST_TMP === '1') {
      console.log(`test temp folder kept (WORKBENCH_KEEP_TEST_TMP=1): ${dir}`);
      return;
    }
    rmSync(dir, { recursive: true, force: true });
  };
}

/**
 * What cannot exist off EMR, stood in for while the bootstrap action itself runs unchanged: `aws` (its one
 * `aws s3 cp` call, served by the local S3 endpoint), `sudo` (runs the command as is: the rehearsal installs into
 * a Python of its own) and `dnf` (refused: the rehearsal gives the bootstrap a Python 3.11 through
 * FRUITS_BOOTSTRAP_PYTHON, so a call to dnf is a bug worth failing on). Written into a folder put first on PATH.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const AWS_STUB_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'aws-s3-cp.mjs');

export function writeStubs(dir: string, node: string = process.execPath): string {
  mkdirSync(dir, { recursive: true });
  const stub = (name: string, body: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, `#!/bin/sh\n# Rehearsal stand-in for ${name} (workbench/src/targets/rehearsal/stubs.ts).\n${body}\n`);
    chmodSync(file, 0o755);
  };
  stub('aws', `exec "${node}" "${AWS_STUB_SCRIPT}" "$@"`);
  stub('sudo', 'exec "$@"');
  stub('dnf', 'echo "dnf (rehearsal stand-in): not available off Amazon Linux: $*" >&2\nexit 1');
  return dir;
}

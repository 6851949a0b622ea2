/**
 * The project's venv python (built by `npm run setup` / `make test` from the release's locks; WORKBENCH_RELEASE picks the release), found
 * without running set-up: tests that need it skip with a reason when it is absent instead of installing it.
 * FRUITS_PYTHON overrides it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { projectVenvDir } from '../../src/setup/venv.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function projectPython(env: Record<string, string | undefined> = process.env, root = REPO_ROOT): { python?: string; reason?: string } {
  if (env.FRUITS_PYTHON) return { python: env.FRUITS_PYTHON };
  const cfg = loadConfig({ root, env });
  const venv = projectVenvDir(root, cfg.cacheDir, cfg.release);
  if (!existsSync(path.join(venv, '.fruits-workbench-complete.json'))) {
    return { reason: `the project venv is not built (${venv}): run \`npm run setup\` (make test does it first)` };
  }
  return { python: path.join(venv, 'bin', 'python') };
}

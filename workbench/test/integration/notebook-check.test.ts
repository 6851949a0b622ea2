/**
 * `npm run notebook -- --check`: the walkthrough notebook runs end to end against a real stack (MinIO, Spark in
 * the kernel, TensorFlow) and its executed copy has an output in every code cell that prints and no error.
 * The stack lives in a temp state folder (this test never touches the repo's .workbench/ or another test's
 * stack). Real parts only; a few images per class keep it to a few minutes.
 * Needs the project venv with nbclient/ipykernel (pipeline lock); outside CI it skips with the reason when the
 * venv is not built; under CI=true it never skips (set-up builds it).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { command as notebook } from '../../src/commands/notebook.js';
import type { CommandContext } from '../../src/commands/types.js';
import { loadConfig } from '../../src/config/load.js';
import { withScope } from '../../src/lifecycle.js';
import { projectPython, REPO_ROOT } from '../helpers/project-python.js';
import { linesOutput } from '../../src/terminal/index.js';

const CI = process.env.CI === 'true';
const venv = projectPython();
const tmp = mkdtempSync(path.join(tmpdir(), 'notebook-check-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!CI && !venv.python)(`npm run notebook -- --check${venv.python || CI ? '' : ` (skipped: ${venv.reason})`}`, () => {
  it('executes every cell without an error', async () => {
    const configPath = path.join(tmp, 'workbench.yaml');
    const yaml = readFileSync(path.join(REPO_ROOT, 'workbench.yaml'), 'utf8').replace(/^(\s*stateDir:).*$/m, `$1 ${path.join(tmp, 'state')}`);
    writeFileSync(configPath, yaml);
    const runsDir = path.join(REPO_ROOT, 'runs', 'notebooks');
    const before = new Set(existsSync(runsDir) ? readdirSync(runsDir) : []);
    const lines: string[] = [];
    const out = linesOutput((l) => lines.push(l));
    const code = await withScope((scope) =>
      notebook.run({ options: { check: true, perClass: '3' }, operands: [] }, {
        ...scope,
        out,
        env: process.env,
        root: REPO_ROOT,
        loadConfig: (flags = {}) => loadConfig({ root: REPO_ROOT, configPath, env: process.env, flags }),
      } as CommandContext),
    );
    expect(code, lines.join('\n')).toBe(0);
    expect(lines.join('\n')).toMatch(/notebook: \d+ code cells, 0 with an error/);

    const created = readdirSync(runsDir).filter((f) => !before.has(f) && f.endsWith('.ipynb'));
    expect(created).toHaveLength(1);
    const nb = JSON.parse(readFileSync(path.join(runsDir, created[0]!), 'utf8')) as { cells: { cell_type: string; outputs?: { output_type: string; text?: string | string[] }[] }[] };
    const code_cells = nb.cells.filter((c) => c.cell_type === 'code');
    for (const c of code_cells) expect(c.outputs?.some((o) => o.output_type === 'error') ?? false).toBe(false);
    const text = code_cells.flatMap((c) => c.outputs ?? []).map((o) => (Array.isArray(o.text) ? o.text.join('') : (o.text ?? ''))).join('');
    expect(text).toMatch(/broadcast: [\d.]+ MiB/);
    expect(text).toMatch(/the UDF saw (\d+) images/);
    expect(text).toMatch(/covariance matrix on the driver: \(1280, 1280\)/);
    expect(text).toMatch(/written: s3a:\/\//);
    // Nothing secret in the outputs: the generated credentials stay in the 0600 context file.
    const creds = JSON.parse(readFileSync(path.join(tmp, 'state', 'credentials.json'), 'utf8')) as { secretAccessKey: string; accessKeyId: string };
    expect(text).not.toContain(creds.secretAccessKey);
    expect(text).not.toContain(creds.accessKeyId);
  });
});

/**
 * A workbench-like process that starts a stack inside withScope (the real Ctrl-C handling) and holds it until
 * it is interrupted. Prints `READY <json>` with the service pids once the stack is up.
 *   node --import tsx hold-stack.ts <local|cluster> <stateDir>
 */
import { loadConfig } from '../../../src/config/load.js';
import { withScope } from '../../../src/lifecycle.js';
import { ensureSetup } from '../../../src/setup/index.js';
import { startStack } from '../../../src/stack/index.js';
import { ROOT } from './env.js';
import { createTerminalOutput } from '../../../src/terminal/index.js';

const [profile, stateDir] = process.argv.slice(2) as [string, string];
const base = loadConfig({ root: ROOT, env: process.env, flags: { profile } });
const cfg = { ...base, stack: { ...base.stack, stateDir, readyTimeoutSeconds: 120 } };
const out = createTerminalOutput({ stderr: { write: (s: string) => process.stderr.write(s) }, stdout: process.stdout });

await withScope(async (scope) => {
  const tools = await ensureSetup(cfg, out, scope.signal, process.env);
  process.stdout.write('SETUP_DONE\n');
  const stack = await startStack(cfg, tools, scope, { keep: false, out, env: process.env });
  process.stdout.write(`READY ${JSON.stringify({ pids: stack.services.map((s) => s.pid) })}\n`);
  // Like a running job: something keeps the event loop busy until Ctrl-C.
  const busy = setInterval(() => {}, 1000);
  await new Promise<void>((resolve) => scope.signal.addEventListener('abort', () => resolve(), { once: true }));
  clearInterval(busy);
}).catch((err: unknown) => {
  process.stderr.write(`hold-stack: ${(err as Error).message}\n`);
});
process.exitCode = 130;

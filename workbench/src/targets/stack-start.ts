/**
 * How a target starts the local stack: the stack is given what it needs from set-up as values (the host tools,
 * and set-up's wheelhouse of the runtime lock, which only the Docker backend asks for, for its image). Used by
 * the local-stack target and by `npm run notebook`; the rehearsal's MinIO-only stack is always native.
 */
import path from 'node:path';
import type { RunContext } from '../context.js';
import type { WorkbenchConfig } from '../config/schema.js';
import type { ToolPaths } from '../setup/tools.js';
import { ensureWheelhouse, WHEELHOUSE_REQUIREMENTS } from '../setup/wheelhouse.js';
import { lockFilePath } from '../setup/venv.js';
import { startStack, type StartedStack } from '../stack/index.js';

export async function startStackFor(cfg: WorkbenchConfig, tools: ToolPaths, ctx: RunContext, o: { keep: boolean }): Promise<StartedStack> {
  const wheelhouse = async () => {
    const dir = await ensureWheelhouse(lockFilePath(cfg.root, tools.release), tools.python, cfg.cacheDir, ctx.out, ctx.signal);
    return { dir, requirements: path.join(dir, WHEELHOUSE_REQUIREMENTS) };
  };
  return startStack(cfg, tools, ctx, { keep: o.keep, out: ctx.out, env: ctx.env, wheelhouse });
}

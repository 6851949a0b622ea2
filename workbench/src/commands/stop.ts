/** `npm run stop`: stops the stack kept by `npm run local -- --keep` (or what an interrupted run left). */
import { stateDirOf, stopKeptStack } from '../stack/index.js';
import type { CommandSpec } from './types.js';

export const command: CommandSpec = {
  name: 'stop',
  description: 'stop the local stack kept running by --keep',
  configure() {},
  async run(_args, ctx) {
    const cfg = ctx.loadConfig();
    const stopped = await stopKeptStack(cfg, ctx.out, ctx.env);
    ctx.out.result(stopped ? `stopped the stack in ${stateDirOf(cfg)}` : 'no kept stack was running');
    return 0;
  },
};

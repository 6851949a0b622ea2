import type { CommandSpec } from './types.js';

export const command: CommandSpec = {
  name: 'bench',
  description: '(not implemented yet)',
  configure() {},
  async run() {
    throw new Error('bench: not implemented yet');
  },
};

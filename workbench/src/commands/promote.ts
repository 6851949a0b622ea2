import type { CommandSpec } from './types.js';

export const command: CommandSpec = {
  name: 'promote',
  description: '(not implemented yet)',
  configure() {},
  async run() {
    throw new Error('promote: not implemented yet');
  },
};

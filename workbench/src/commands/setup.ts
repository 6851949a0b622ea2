import type { CommandSpec } from './types.js';

export const command: CommandSpec = {
  name: 'setup',
  description: '(not implemented yet)',
  configure() {},
  async run() {
    throw new Error('setup: not implemented yet');
  },
};

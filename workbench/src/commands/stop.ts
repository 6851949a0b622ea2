import type { CommandSpec } from './types.js';

export const command: CommandSpec = {
  name: 'stop',
  description: '(not implemented yet)',
  configure() {},
  async run() {
    throw new Error('stop: not implemented yet');
  },
};

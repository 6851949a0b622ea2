import type { CommandSpec } from './types.js';

export const command: CommandSpec = {
  name: 'parity',
  description: '(not implemented yet)',
  configure() {},
  async run() {
    throw new Error('parity: not implemented yet');
  },
};

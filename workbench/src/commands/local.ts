import type { CommandSpec } from './types.js';

export const command: CommandSpec = {
  name: 'local',
  description: '(not implemented yet)',
  configure() {},
  async run() {
    throw new Error('local: not implemented yet');
  },
};

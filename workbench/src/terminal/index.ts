export type { Output, Task, TaskOptions } from './output.js';
export { createTerminalOutput, processOutput, type TerminalStream } from './terminal-output.js';
export { linesOutput, memoryOutput, type MemoryOutput } from './memory-output.js';
export { formatBytes, formatProgress } from './format.js';

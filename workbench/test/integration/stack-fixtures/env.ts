/**
 * Shared by the stack integration tests: the real tools (npm run setup, cached), a config whose stack state
 * folder is a temp dir (so tests never touch the repo's .workbench/ or each other), and process checks.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Output } from '../../../src/commands/types.js';
import { loadConfig } from '../../../src/config/load.js';
import type { WorkbenchConfig } from '../../../src/config/schema.js';
import { ensureSetup } from '../../../src/setup/index.js';
import type { ToolPaths } from '../../../src/setup/tools.js';
import { stopKeptStack } from '../../../src/stack/index.js';
import { commandLine } from '../../../src/stack/process-group.js';
import { linesOutput } from '../../../src/terminal/index.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

export function recorder(): { out: Output; lines: string[] } {
  const lines: string[] = [];
  return { out: linesOutput((l) => lines.push(l)), lines };
}

const created: WorkbenchConfig[] = [];

export function testConfig(profile: 'local' | 'cluster', stateDir = mkdtempSync(path.join(tmpdir(), 'wb-stack-'))): WorkbenchConfig {
  const cfg = loadConfig({ root: ROOT, env: process.env, flags: { profile } });
  const c = { ...cfg, stack: { ...cfg.stack, stateDir, readyTimeoutSeconds: 120 } };
  created.push(c);
  return c;
}

/** afterAll: stops whatever a failed test left running and removes the temp state folders. */
export async function cleanupStacks(): Promise<void> {
  for (const cfg of created.splice(0)) {
    await stopKeptStack(cfg, recorder().out, process.env).catch(() => {});
    rmSync(cfg.stack.stateDir, { recursive: true, force: true });
  }
}

let tools: Promise<ToolPaths> | undefined;
export function setupTools(): Promise<ToolPaths> {
  tools ??= ensureSetup(testConfig('local'), recorder().out, new AbortController().signal, process.env);
  return tools;
}

/** Pids of live processes whose command line mentions `needle` (a test's private state folder). */
export function processesMentioning(needle: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
    .map(Number)
    .filter((pid) => commandLine(pid)?.includes(needle));
}

/**
 * The machine a bench result was measured on, recorded in the result itself (`machine`, `measured_at`), so a
 * figure quoted in the docs always says where and when it was measured.
 *
 * The benches' writers (commands/bench.ts, pipeline/bench/featurize_bench.py) record `measured_at` at most;
 * `npm run docs -- --stamp FILE...` adds what is missing, on the machine that just ran the bench. It never
 * overwrites a field already present: a result measured elsewhere keeps its own machine.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { z } from 'zod';

/** cpu_model and cores as the scale bench records them (bench/scale.ts machineInfo); memory and OS when known. */
export const MachineSchema = z.object({
  cpu_model: z.string().min(1),
  cores: z.number().int().positive(),
  memory_gib: z.number().positive().optional(),
  os: z.string().min(1).optional(),
});
export type Machine = z.infer<typeof MachineSchema>;

/** This machine, as `MachineSchema` records it. */
export function thisMachine(): Machine {
  const cpus = os.cpus();
  let model = cpus[0]?.model?.trim() || 'unknown';
  try {
    // os.cpus() can be empty or terse in containers; /proc/cpuinfo is what the scale bench reads too.
    model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? model;
  } catch {
    // not Linux: os.cpus() says it
  }
  return {
    cpu_model: model.replace(/\s+/g, ' '),
    cores: cpus.length || 1,
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** One line for a doc: "2 cores of Intel(R) Xeon(R) ..., 23.5 GiB". */
export function describeMachine(m: Machine): string {
  return `${m.cores} cores of ${m.cpu_model}${m.memory_gib ? `, ${m.memory_gib} GiB` : ''}`;
}

/**
 * Adds `machine` (this one) and `measured_at` (the file's modification time: when the bench wrote it) to a bench
 * result that lacks them. Returns the fields it added (empty: nothing to do).
 */
export function stampResult(file: string, machine: Machine = thisMachine()): string[] {
  const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const added: string[] = [];
  if (data.measured_at === undefined) {
    data.measured_at = statSync(file).mtime.toISOString();
    added.push('measured_at');
  }
  if (data.machine === undefined) {
    data.machine = machine;
    added.push('machine');
  }
  if (added.length > 0) {
    // measured_at and machine first: what a reader of the file wants to know before the figures.
    const { measured_at, machine: m, ...rest } = data;
    writeFileSync(file, `${JSON.stringify({ measured_at, machine: m, ...rest }, null, 2)}\n`);
  }
  return added;
}

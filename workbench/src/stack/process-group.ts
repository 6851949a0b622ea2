/**
 * Process groups: every native service runs in a group of its own (spawned detached), so stopping it stops
 * every process it forked too (spark-class's launcher JVM, executors of a worker). Stopping is SIGTERM to the
 * group, a grace period, then SIGKILL, and it returns only when no live member is left. Zombies (exited,
 * not yet reaped by a parent that is gone) do not count as alive.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const HAS_PROC = existsSync('/proc/self/stat');

interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
}

function readStat(pid: string | number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid: Number(pid), state: rest[0] ?? '?', ppid: Number(rest[1]), pgrp: Number(rest[2]) };
  } catch {
    return undefined;
  }
}

/** Live (non-zombie) pids of process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  if (!HAS_PROC) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const st = readStat(entry);
    if (st && st.pgrp === pgid && st.state !== 'Z' && st.state !== 'X') members.push(st.pid);
  }
  return members;
}

/** Live (non-zombie) descendants of `pid`, at any depth: what the orphan tests look for. */
export function descendants(pid: number): number[] {
  if (!HAS_PROC) return [];
  const children = new Map<number, number[]>();
  const live = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const st = readStat(entry);
    if (!st) continue;
    if (st.state !== 'Z' && st.state !== 'X') live.add(st.pid);
    children.set(st.ppid, [...(children.get(st.ppid) ?? []), st.pid]);
  }
  const out: number[] = [];
  const todo = [...(children.get(pid) ?? [])];
  while (todo.length > 0) {
    const p = todo.pop()!;
    if (live.has(p)) out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

/** The command line of a running process, or undefined when it is gone. */
export function commandLine(pid: number): string | undefined {
  if (HAS_PROC) {
    try {
      const st = readStat(pid);
      if (!st || st.state === 'Z') return undefined;
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      return undefined;
    }
  }
  try {
    return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

async function waitUntilEmpty(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (groupMembers(pgid).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
}

/**
 * SIGTERM the group, wait up to `graceMs`, then SIGKILL it and wait again. Idempotent: a group that is
 * already gone returns at once. Throws only if processes survive SIGKILL (uninterruptible sleep).
 */
export async function stopProcessGroup(pgid: number, opts: { graceMs?: number; name?: string } = {}): Promise<void> {
  if (groupMembers(pgid).length === 0) return;
  signalGroup(pgid, 'SIGTERM');
  if (await waitUntilEmpty(pgid, opts.graceMs ?? 15_000)) return;
  signalGroup(pgid, 'SIGKILL');
  if (await waitUntilEmpty(pgid, 10_000)) return;
  throw new Error(`${opts.name ?? `process group ${pgid}`} did not exit after SIGKILL (pids ${groupMembers(pgid).join(', ')})`);
}

/**
 * The stack state file (<stateDir>/stack.json, mode 0600): which processes make up the running stack, their
 * ports, the profile it serves and where its credentials are. Written while a stack runs, so that
 * `npm run stop` and a second `npm run local` find a kept stack, and so that a stack whose owner was killed
 * (no cleanup ran) is found and stopped the next time. Removed when the stack stops.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const STATE_FILE = 'stack.json';

export interface ServiceRecord {
  name: string;
  /** Leader pid = process group id. */
  pid: number;
  endpoints: Record<string, string>;
  logFile: string;
  /** A string the process's command line must contain, so a recycled pid is never taken for the service. */
  marker: string;
}

export interface StackState {
  schemaVersion: 1;
  backend: 'native';
  profileName: string;
  /** The shape the stack was started for; a kept stack is reused only for the same shape. */
  shape: StackShape;
  kept: boolean;
  /** The workbench process that owns a stack that is not kept (stops it on exit). */
  ownerPid?: number;
  startedAt: string;
  credentialsFile: string;
  s3: { endpoint: string; region: string; bucket: string };
  sparkMaster: string;
  sparkUi?: string;
  services: ServiceRecord[];
}

/** What makes two stacks interchangeable. */
export interface StackShape {
  kind: 'local' | 'cluster';
  region: string;
  bucket: string;
  /** The release whose Spark the master and workers run: a kept stack of another release is replaced. */
  release: string;
  workers: number;
  workerCores: number;
  workerMemory: string;
}

export function sameShape(a: StackShape, b: StackShape): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function statePath(stateDir: string): string {
  return path.join(stateDir, STATE_FILE);
}

export function readState(stateDir: string): StackState | undefined {
  let text: string;
  try {
    text = readFileSync(statePath(stateDir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const state = JSON.parse(text) as StackState;
    return state.schemaVersion === 1 && Array.isArray(state.services) ? state : undefined;
  } catch {
    return undefined;
  }
}

/** Atomic (temp file + rename) and private: the file names the credentials file and the stack's ports. */
export function writeState(stateDir: string, state: StackState): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = statePath(stateDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function removeState(stateDir: string): void {
  rmSync(statePath(stateDir), { force: true });
}

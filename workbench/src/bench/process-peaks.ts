/**
 * Peak memory of the job's processes during a bench run, from /proc (Linux only; elsewhere it records nothing).
 *
 * Every `intervalMs` it walks the process tree under this Node process and reads each Spark/Python process's
 * VmHWM (the kernel's own peak-RSS high-water mark), so a sample taken any time before a process exits sees its
 * peak; only a process that grows and exits between two samples is under-counted. Roles, by command line:
 *   driver-jvm     the JVM running org.apache.spark.deploy.SparkSubmit (in local mode it is also the executor)
 *   executor-jvm   a JVM running CoarseGrainedExecutorBackend / YarnCoarseGrainedExecutorBackend (cluster modes)
 *   driver-python  a Python child of the driver JVM that is not pyspark.daemon (the job's entry point)
 *   python-worker  a child of a pyspark.daemon process (one per running task; the daemon itself is not counted)
 */
import { readdirSync, readFileSync } from 'node:fs';

export type ProcessRole = 'driver-jvm' | 'executor-jvm' | 'driver-python' | 'python-worker';

export interface RolePeak {
  /** Largest VmHWM seen for one process of this role, MiB. */
  peakRssMb: number;
  /** Distinct processes of this role seen. */
  processes: number;
}

export type ProcessPeaks = Partial<Record<ProcessRole, RolePeak>>;

interface ProcInfo {
  pid: number;
  ppid: number;
  cmd: string;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: the fields after the last ')' are fixed.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return { pid, ppid, cmd };
  } catch {
    return undefined; // exited meanwhile
  }
}

function hwmMb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const isJava = (cmd: string) => /(^|\/)java\s/.test(cmd);
const isPython = (cmd: string) => /(^|\/)python[\d.]*\s/.test(cmd);
const isDaemon = (cmd: string) => /pyspark[./]daemon/.test(cmd);

/** Classifies the processes of one snapshot of the tree under `rootPid`. Exported for tests. */
export function classify(procs: ProcInfo[], rootPid: number): Map<number, ProcessRole> {
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const roles = new Map<number, ProcessRole>();
  const walk = (pid: number, parent: ProcInfo | undefined) => {
    for (const p of children.get(pid) ?? []) {
      if (isJava(p.cmd) && p.cmd.includes('org.apache.spark.deploy.SparkSubmit')) roles.set(p.pid, 'driver-jvm');
      else if (isJava(p.cmd) && /CoarseGrainedExecutorBackend/.test(p.cmd)) roles.set(p.pid, 'executor-jvm');
      else if (isPython(p.cmd) && parent && isDaemon(parent.cmd) && isDaemon(p.cmd)) roles.set(p.pid, 'python-worker');
      else if (isPython(p.cmd) && !isDaemon(p.cmd) && parent && roles.get(parent.pid) === 'driver-jvm') roles.set(p.pid, 'driver-python');
      walk(p.pid, p);
    }
  };
  walk(rootPid, undefined);
  return roles;
}

/** Starts sampling; `stop()` returns the peaks per role. */
export function sampleProcessPeaks(rootPid: number = process.pid, intervalMs = 500): { stop(): ProcessPeaks } {
  const seen = new Map<number, { role: ProcessRole; peak: number }>();
  const sample = () => {
    let pids: number[];
    try {
      pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
    } catch {
      return; // not Linux
    }
    const procs = pids.map(readProc).filter((p): p is ProcInfo => p !== undefined);
    for (const [pid, role] of classify(procs, rootPid)) {
      const mb = hwmMb(pid);
      if (mb === undefined) continue;
      const prev = seen.get(pid);
      seen.set(pid, { role, peak: Math.max(prev?.peak ?? 0, mb) });
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      const peaks: ProcessPeaks = {};
      for (const { role, peak } of seen.values()) {
        const cur = peaks[role];
        peaks[role] = { peakRssMb: Math.round(Math.max(cur?.peakRssMb ?? 0, peak)), processes: (cur?.processes ?? 0) + 1 };
      }
      return peaks;
    },
  };
}

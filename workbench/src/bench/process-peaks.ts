/**
 * Peak memory and CPU time of the job's processes during a bench run, from /proc (Linux only; elsewhere it
 * records nothing).
 *
 * Every `intervalMs` it walks the process tree under this Node process and reads, per process, VmHWM (the
 * kernel's own peak-RSS high-water mark) and utime+stime. VmHWM: a sample taken any time before a process exits
 * sees its peak; only a process that grows and exits between two samples is under-counted. CPU time: the last
 * value seen per pid is kept, so a process that exits loses at most the CPU it used in its last interval, and
 * one that starts and exits between two samples is not seen at all. Roles, by command line:
 *   driver-jvm     the JVM running org.apache.spark.deploy.SparkSubmit (in local mode it is also the executor)
 *   executor-jvm   a JVM running CoarseGrainedExecutorBackend / YarnCoarseGrainedExecutorBackend (cluster modes)
 *   driver-python  a Python child of the driver JVM that is not pyspark.daemon (the job's entry point)
 *   python-worker  a child of a pyspark.daemon process (one per running task; the daemon itself is not counted)
 *   minio          the MinIO server (`minio server ...`; a child of this process in the native stack, in a
 *                  container, so not seen, in the docker stack)
 *   other          any other descendant: the pyspark.daemon itself, shell wrappers, helpers
 * CPU only, not from /proc: workbench-node, this Node process itself (process.cpuUsage(), all its threads).
 * To show what the roles cover, it also records the machine's busy CPU over the same window (/proc/stat).
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

export type ProcessRole = 'driver-jvm' | 'executor-jvm' | 'driver-python' | 'python-worker' | 'minio' | 'other';
export type CpuRole = ProcessRole | 'workbench-node';
/** The order roles are reported in. */
export const CPU_ROLES: readonly CpuRole[] = ['python-worker', 'driver-jvm', 'executor-jvm', 'driver-python', 'minio', 'workbench-node', 'other'];

export interface RolePeak {
  /** Largest VmHWM seen for one process of this role, MiB. */
  peakRssMb: number;
  /** Distinct processes of this role seen. */
  processes: number;
}

export type ProcessPeaks = Partial<Record<ProcessRole, RolePeak>>;

/** Where the CPU went between start and stop, in CPU seconds (one core busy for one second = 1). */
export interface CpuUsage {
  windowS: number;
  /** os.availableParallelism(): windowS * cores is all the CPU the machine had. */
  cores: number;
  /** user+nice+system+irq+softirq+steal over the window, all processes of the machine (/proc/stat). */
  machineBusyS: number;
  /** user+system per role, summed over its processes; roles never seen are absent. */
  byRoleS: Partial<Record<CpuRole, number>>;
}

export interface ProcessSample {
  peaks: ProcessPeaks;
  /** undefined off Linux (no /proc). */
  cpu: CpuUsage | undefined;
}

interface ProcInfo {
  pid: number;
  ppid: number;
  cmd: string;
}

/**
 * USER_HZ, the unit of the times in /proc/<pid>/stat and /proc/stat. The kernel reports them in USER_HZ, not its
 * internal HZ, and USER_HZ is 100 on every Linux architecture Node runs on, so no `getconf CLK_TCK` child process.
 */
const CLOCK_TICKS_PER_S = 100;

/** ppid and CPU seconds (utime+stime: this process's threads, not its reaped children) from /proc/<pid>/stat. */
export function parsePidStat(stat: string): { ppid: number; cpuS: number } {
  // The command name is in parentheses and may hold spaces or ')': the fields after the last ')' are fixed.
  // They start at field 3 (state), so field n is at index n - 3: ppid 4, utime 14, stime 15 (man 5 proc).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(f[1]), cpuS: (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_S };
}

/** Busy CPU seconds of the whole machine since boot, from /proc/stat's aggregate `cpu` line. */
export function parseMachineBusyS(procStat: string): number {
  const f = /^cpu\s+(.*)$/m.exec(procStat)?.[1]?.trim().split(/\s+/).map(Number);
  if (!f || f.length < 8) throw new Error('/proc/stat has no aggregate cpu line');
  // user nice system idle iowait irq softirq steal [guest guest_nice]: idle and iowait are not busy; guest time
  // is already inside user and nice, so it is not added again.
  const [user, nice, system, , , irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_S;
}

/** CPU seconds per role in the window: per pid, its last value minus its value when the window opened. */
export function cpuByRole(pids: Iterable<{ role: ProcessRole; startS: number; lastS: number }>): Partial<Record<ProcessRole, number>> {
  const by: Partial<Record<ProcessRole, number>> = {};
  for (const p of pids) by[p.role] = (by[p.role] ?? 0) + Math.max(0, p.lastS - p.startS);
  return by;
}

function readProc(pid: number): (ProcInfo & { cpuS: number }) | undefined {
  try {
    const { ppid, cpuS } = parsePidStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return { pid, ppid, cmd, cpuS };
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

function machineBusyS(): number | undefined {
  try {
    return parseMachineBusyS(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined; // not Linux
  }
}

const isJava = (cmd: string) => /(^|\/)java\s/.test(cmd);
const isPython = (cmd: string) => /(^|\/)python[\d.]*\s/.test(cmd);
const isDaemon = (cmd: string) => /pyspark[./]daemon/.test(cmd);
const isMinio = (cmd: string) => /(^|\/)minio\s+server(\s|$)/.test(cmd);

/** Classifies every descendant of `rootPid` in one snapshot of the process table. Exported for tests. */
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
      else if (isMinio(p.cmd)) roles.set(p.pid, 'minio');
      else roles.set(p.pid, 'other'); // every descendant has a role, so the roles add up to the whole tree's CPU
      walk(p.pid, p);
    }
  };
  walk(rootPid, undefined);
  return roles;
}

/**
 * The role to record for a pid seen again. A new role wins when the process exec'd something else (a forked JVM
 * becomes Python at exec: the last role is the one that did the work). Otherwise a specific role is never lost
 * to 'other':
 * - an exited process not yet reaped (a zombie) has an empty command line, so it classifies as 'other': each
 *   Python worker does, between its exit and its daemon's wait();
 * - when a pyspark.daemon or a JVM exits before its children, they are re-parented and no longer look like
 *   workers, but their command line is unchanged.
 */
export function roleAfter(prev: { role: ProcessRole; cmd: string } | undefined, role: ProcessRole, cmd: string): ProcessRole {
  if (!prev || role !== 'other') return role;
  return cmd === '' || cmd === prev.cmd ? prev.role : role;
}

/**
 * Starts sampling the tree under `rootPid` (this process by default: workbench-node is always this process);
 * `stop()` returns the peaks and CPU per role.
 */
export function sampleProcessPeaks(rootPid: number = process.pid, intervalMs = 500): { stop(): ProcessSample } {
  // Per pid, its role (roleAfter), the peak RSS, and its CPU when the window opened (processes already running
  // then) and when last seen.
  const seen = new Map<number, { role: ProcessRole; cmd: string; peak: number; startS: number; lastS: number }>();
  let first = true;
  const sample = () => {
    let pids: number[];
    try {
      pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
    } catch {
      return; // not Linux
    }
    const procs = pids.map(readProc).filter((p) => p !== undefined);
    const byPid = new Map(procs.map((p) => [p.pid, p]));
    for (const [pid, role] of classify(procs, rootPid)) {
      const cpuS = byPid.get(pid)?.cpuS ?? 0;
      const cmd = byPid.get(pid)?.cmd ?? '';
      const prev = seen.get(pid);
      // A process first seen after the window opened started inside it: all its CPU counts.
      const startS = prev?.startS ?? (first ? cpuS : 0);
      const mb = hwmMb(pid);
      seen.set(pid, { role: roleAfter(prev, role, cmd), cmd: cmd || (prev?.cmd ?? ''), peak: Math.max(prev?.peak ?? 0, mb ?? 0), startS, lastS: cpuS });
    }
    first = false;
  };
  const t0 = performance.now();
  const node0 = process.cpuUsage();
  const busy0 = machineBusyS();
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      const busy1 = machineBusyS();
      const node = process.cpuUsage(node0);
      const peaks: ProcessPeaks = {};
      for (const { role, peak } of seen.values()) {
        if (peak === 0) continue; // VmHWM never read (exited meanwhile, or a kernel thread): no RSS figure
        const cur = peaks[role];
        peaks[role] = { peakRssMb: Math.round(Math.max(cur?.peakRssMb ?? 0, peak)), processes: (cur?.processes ?? 0) + 1 };
      }
      const cpu: CpuUsage | undefined =
        busy0 === undefined || busy1 === undefined
          ? undefined
          : {
              windowS: (performance.now() - t0) / 1000,
              cores: os.availableParallelism(),
              machineBusyS: busy1 - busy0,
              byRoleS: { ...cpuByRole(seen.values()), 'workbench-node': (node.user + node.system) / 1e6 },
            };
      return { peaks, cpu };
    },
  };
}

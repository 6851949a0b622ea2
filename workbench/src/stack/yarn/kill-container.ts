/**
 * For the rehearsal's fault test: kill one running executor container of the local YARN in the middle of a
 * job, as a lost spot node or an OOM kill would, so the test can show that the job's output is unchanged.
 *
 * The NodeManager's REST API lists the running containers; the NodeManager records each container's pid in
 * <local-dir>/nmPrivate/<application>/<container>/<container>.pid. The container runs in a session of its own
 * (setsid), so SIGKILL to its process group takes the executor JVM and its Python workers down at once. The
 * application master (container ..._000001) is never chosen.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpJson } from '../http.js';
import { groupMembers } from '../process-group.js';

export interface NodeContainer {
  id: string;
  state: string;
  /** MB of the container, as allocated. */
  totalMemoryNeededMB?: number;
}

interface NodeContainers {
  containers?: { container?: NodeContainer[] } | null;
}

export async function runningContainers(nodeManagerWebapp: string, signal: AbortSignal): Promise<NodeContainer[]> {
  const json = await httpJson<NodeContainers>(`${nodeManagerWebapp}/ws/v1/node/containers`, signal);
  return (json?.containers?.container ?? []).filter((c) => c.state === 'RUNNING');
}

/** container_<clusterTs>_<app>_<attempt>_<n> -> application_<clusterTs>_<app>. */
export function applicationOf(containerId: string): string {
  const m = /^container_(?:e\d+_)?(\d+)_(\d+)_\d+_\d+$/.exec(containerId);
  if (!m) throw new Error(`not a YARN container id: ${containerId}`);
  return `application_${m[1]}_${m[2]}`;
}

export const isApplicationMaster = (containerId: string) => /_0*1$/.test(containerId);

export function containerPid(localDirs: string[], containerId: string): number | undefined {
  for (const dir of localDirs) {
    const file = path.join(dir, 'nmPrivate', applicationOf(containerId), containerId, `${containerId}.pid`);
    if (!existsSync(file)) continue;
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0) return pid;
  }
  return undefined;
}

export interface KilledContainer {
  containerId: string;
  pid: number;
}

/**
 * Waits (up to `timeoutMs`) for a running executor container whose pid is known, SIGKILLs its process group,
 * and returns once no process of it is left. Throws when none appeared in time.
 */
export async function killOneExecutorContainer(
  node: { nodeManagerWebapp: string; localDirs: string[] },
  o: { signal: AbortSignal; timeoutMs?: number; pollMs?: number },
): Promise<KilledContainer> {
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  for (;;) {
    for (const c of await runningContainers(node.nodeManagerWebapp, o.signal)) {
      if (isApplicationMaster(c.id)) continue;
      const pid = containerPid(node.localDirs, c.id);
      if (pid === undefined || groupMembers(pid).length === 0) continue;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        continue; // ended on its own in between
      }
      while (groupMembers(pid).length > 0) await sleep(100, undefined, { signal: o.signal });
      return { containerId: c.id, pid };
    }
    if (Date.now() >= deadline) throw new Error('no running executor container appeared on the local YARN node');
    await sleep(o.pollMs ?? 500, undefined, { signal: o.signal });
  }
}

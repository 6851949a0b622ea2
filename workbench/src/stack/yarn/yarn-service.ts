/**
 * The rehearsal's YARN as a service handle: one JVM (RehearsalYarn, a MiniYARNCluster with one ResourceManager
 * and one NodeManager) on 127.0.0.1, sized like one core node, container memory enforced. Ready when the
 * launcher has published the NodeManager's addresses (after it registered with the ResourceManager) and the
 * NodeManager's REST API reports a healthy node with the planned memory. start() returns the
 * ResourceManager's address and a Hadoop conf dir for `spark-submit --master yarn --deploy-mode client`.
 *
 * Containers run in sessions of their own (YARN launches them with setsid), outside the launcher's process
 * group. stop() therefore stops the launcher (whose shutdown stops the NodeManager, which stops its
 * containers), then kills any descendant that is still alive, so nothing survives it.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpJson } from '../http.js';
import { pickFreePorts } from '../ports.js';
import { commandLine, descendants } from '../process-group.js';
import { processService } from '../service.js';
import type { StartedService } from '../types.js';
import { clientFiles, launcherProperties, propertiesText, type RmPorts, type S3aTarget, type YarnNodeShape } from './yarn-conf.js';

/** The launcher's class path and main class, as set-up resolved them (setup/yarn-jars.ts YarnJars has both). */
export interface YarnLauncher {
  classpath: string;
  launcherClass: string;
}

export interface YarnServiceOptions {
  jars: YarnLauncher;
  javaHome: string;
  /** The stack's state folder: conf dir, logs, the NodeManager's local and log dirs all go under <stateDir>/yarn. */
  stateDir: string;
  node: YarnNodeShape;
  /** Written into core-site.xml (endpoint and region only). */
  s3?: S3aTarget;
  /**
   * Environment the containers inherit from the NodeManager (the S3 credentials, PYSPARK_PYTHON...): set on the
   * launcher's process only; their names go to yarn.nodemanager.env-whitelist, never their values.
   */
  containerEnv?: Record<string, string>;
  vmemCheck?: boolean;
  monitorIntervalMs?: number;
  /** Heap of the launcher JVM (RM + NM). */
  heapMb?: number;
  readyTimeoutMs: number;
  baseEnv: Record<string, string | undefined>;
}

export interface StartedYarn extends StartedService {
  /** host:port of the ResourceManager (yarn.resourcemanager.address). */
  resourceManager: string;
  /** http://127.0.0.1:PORT of the ResourceManager's web UI (its REST API does not work in a MiniYARNCluster). */
  webapp: string;
  /** HADOOP_CONF_DIR for spark-submit: yarn-site.xml + core-site.xml. */
  confDir: string;
  /** Where MiniYARNCluster keeps the NodeManager's local dirs (container working dirs) and logs. */
  workDir: string;
  /** http://127.0.0.1:PORT of the NodeManager's REST API (/ws/v1/node/containers). */
  nodeManagerWebapp: string;
  /** yarn.nodemanager.local-dirs and log-dirs as the NodeManager uses them. */
  localDirs: string[];
  logDirs: string[];
}

export interface YarnServiceHandle {
  name: string;
  start(signal: AbortSignal): Promise<StartedYarn>;
}

export function yarnPaths(stateDir: string) {
  const root = path.join(stateDir, 'yarn');
  return {
    root,
    confDir: path.join(root, 'conf'),
    launcherProperties: path.join(root, 'launcher', 'yarn.properties'),
    tmpDir: path.join(root, 'tmp'),
    log: path.join(root, 'logs', 'yarn.log'),
    /** MiniYARNCluster's work folder: ./target/ under the launcher's cwd (the NodeManager's dirs are in there). */
    workDir: path.join(root, 'target'),
  };
}

/** A marker on the JVM command line naming the state folder, like the Spark daemons' (spark-env.ts). */
export function yarnMarker(stateDir: string): string {
  return `-Dfruits.workbench.stack=${stateDir}`;
}

/** Module opens Hadoop 3.3's reflection needs on Java 17 (the same list Spark passes its own JVMs). */
export const JAVA17_OPENS = [
  'java.base/java.lang', 'java.base/java.lang.invoke', 'java.base/java.lang.reflect', 'java.base/java.io', 'java.base/java.net',
  'java.base/java.nio', 'java.base/java.util', 'java.base/java.util.concurrent', 'java.base/java.util.concurrent.atomic',
  'java.base/sun.nio.ch', 'java.base/sun.nio.cs', 'java.base/sun.security.action', 'java.base/sun.util.calendar',
].map((m) => `--add-opens=${m}=ALL-UNNAMED`);

/** What RehearsalYarn publishes in <properties>.ready once the NodeManager has registered. */
export interface YarnReadyInfo {
  resourceManager: string;
  nodeManager: string;
  /** http://127.0.0.1:PORT of the NodeManager's web app and REST API (/ws/v1/node/...); it binds loopback. */
  nodeManagerWebapp: string;
  localDirs: string[];
  logDirs: string[];
}

/** Parses java.util.Properties text as RehearsalYarn.store() writes it (comments, escaped ':' and '='). */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^((?:\\.|[^=:\s\\])+)\s*[=:]?\s*(.*)$/.exec(line);
    if (!m) continue;
    const unescape = (s: string) => s.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
    out[unescape(m[1]!)] = unescape(m[2]!);
  }
  return out;
}

export function readYarnReady(file: string): YarnReadyInfo | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const p = parseProperties(text);
  const port = Number(p['nodemanager.webapp.port']);
  if (!p['resourcemanager.address'] || !(port > 0)) return undefined;
  return {
    resourceManager: p['resourcemanager.address'],
    nodeManager: p['nodemanager.address'] ?? '',
    nodeManagerWebapp: `http://127.0.0.1:${port}`,
    localDirs: (p['nodemanager.local-dirs'] ?? '').split(',').filter(Boolean),
    logDirs: (p['nodemanager.log-dirs'] ?? '').split(',').filter(Boolean),
  };
}

export interface NodeInfo {
  nodeInfo?: { nodeHealthy: boolean; totalPmemAllocatedContainersMB: number; totalVCoresAllocatedContainers: number; pmemCheckEnabled: boolean; vmemCheckEnabled: boolean };
}

export function fetchNodeInfo(nodeManagerWebapp: string, signal: AbortSignal) {
  return httpJson<NodeInfo>(`${nodeManagerWebapp}/ws/v1/node/info`, signal);
}

export function yarnService(o: YarnServiceOptions): YarnServiceHandle {
  return {
    name: 'yarn',
    async start(signal) {
      const p = yarnPaths(o.stateDir);
      const [rpc, scheduler, resourceTracker, admin, webappPort] = (await pickFreePorts(5)) as [number, number, number, number, number];
      const ports: RmPorts = { rpc, scheduler, resourceTracker, admin, webapp: webappPort };
      const containerEnv = o.containerEnv ?? {};

      mkdirSync(p.confDir, { recursive: true });
      mkdirSync(path.dirname(p.launcherProperties), { recursive: true });
      mkdirSync(p.tmpDir, { recursive: true });
      writeFileSync(
        p.launcherProperties,
        propertiesText(
          launcherProperties({
            node: o.node,
            ports,
            tmpDir: p.tmpDir,
            containerEnvNames: Object.keys(containerEnv),
            vmemCheck: o.vmemCheck,
            monitorIntervalMs: o.monitorIntervalMs,
          }),
        ),
      );
      for (const [name, text] of Object.entries(clientFiles(ports, o.s3))) writeFileSync(path.join(p.confDir, name), text);

      const webapp = `http://127.0.0.1:${ports.webapp}`;
      const readyFile = `${p.launcherProperties}.ready`;
      rmSync(readyFile, { force: true });
      const handle = processService({
        name: 'yarn',
        command: path.join(o.javaHome, 'bin', 'java'),
        args: [
          yarnMarker(o.stateDir),
          `-Xmx${o.heapMb ?? 1024}m`,
          '-Djava.net.preferIPv4Stack=true',
          `-Djava.io.tmpdir=${p.tmpDir}`,
          ...JAVA17_OPENS,
          '-cp', o.jars.classpath,
          o.jars.launcherClass,
          p.launcherProperties,
        ],
        cwd: p.root,
        env: {
          ...o.baseEnv,
          ...containerEnv,
          JAVA_HOME: o.javaHome,
          // A user's Hadoop settings must not leak into the rehearsal's daemons.
          HADOOP_CONF_DIR: undefined,
          YARN_CONF_DIR: undefined,
          HADOOP_HOME: undefined,
        },
        logFile: p.log,
        endpoints: { resourceManager: `127.0.0.1:${ports.rpc}`, ui: webapp },
        isReady: async (s) => {
          const ready = readYarnReady(readyFile);
          if (!ready) return false;
          const info = (await fetchNodeInfo(ready.nodeManagerWebapp, s))?.nodeInfo;
          return Boolean(info?.nodeHealthy && info.totalPmemAllocatedContainersMB === o.node.memoryMb);
        },
        readyTimeoutMs: o.readyTimeoutMs,
        // MiniYARNCluster takes ~18 s to stop (the NodeManager waits for its containers).
        stopGraceMs: 45_000,
      });
      const started = await handle.start(signal);
      const ready = readYarnReady(readyFile)!;
      let stopping: Promise<void> | undefined;
      return {
        ...started,
        endpoints: { ...started.endpoints, nodeManagerUi: ready.nodeManagerWebapp },
        resourceManager: `127.0.0.1:${ports.rpc}`,
        webapp,
        nodeManagerWebapp: ready.nodeManagerWebapp,
        localDirs: ready.localDirs,
        logDirs: ready.logDirs,
        confDir: p.confDir,
        workDir: p.workDir,
        stop: () =>
          (stopping ??= (async () => {
            const tree = started.pid ? descendants(started.pid).map((pid) => ({ pid, cmd: commandLine(pid) })) : [];
            await started.stop();
            await killSurvivors(tree);
          })()),
      };
    },
  };
}

/** SIGKILL what is left of a process tree recorded before the stop (same pid AND same command line: no pid reuse). */
async function killSurvivors(tree: { pid: number; cmd: string | undefined }[]): Promise<void> {
  const alive = () => tree.filter(({ pid, cmd }) => cmd !== undefined && commandLine(pid) === cmd);
  for (const { pid } of alive()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone in between
    }
  }
  const deadline = Date.now() + 10_000;
  while (alive().length > 0) {
    if (Date.now() >= deadline) throw new Error(`yarn: processes ${alive().map((p) => p.pid).join(', ')} survived SIGKILL`);
    await sleep(100);
  }
}

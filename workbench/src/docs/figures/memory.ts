/**
 * Worker-memory figures, from the one place the EMR plan takes them: emr/sizing.ts
 * (WORKER_PEAK_RSS_MB_BY_ENGINE, the margin, and the layout deriveSparkSizing makes for the `emr` profile's
 * core instance type).
 */
import { deriveSparkSizing, WORKER_MEMORY_MARGIN, WORKER_PEAK_RSS_MB_BY_ENGINE } from '../../emr/sizing.js';
import type { FigureSources } from '../sources.js';
import { sourceLine, table } from '../format.js';

const engines = () => Object.entries(WORKER_PEAK_RSS_MB_BY_ENGINE) as [keyof typeof WORKER_PEAK_RSS_MB_BY_ENGINE, number][];

/** Per engine: one worker's peak, what the plan reserves for it, and the executor layout that follows on the emr profile's core type. */
export function workerMemory(s: FigureSources): string {
  const profile = s.emrProfile();
  const type = profile.core.instanceType;
  const rows = engines().map(([engine, peak]) => {
    const z = deriveSparkSizing({ instanceType: type, coreNodes: profile.core.count, workerPeakRssMb: peak });
    return [
      engine,
      `${peak} MiB`,
      `${z.perWorkerMb} MiB`,
      `${z.tasksPerNode} x ${z.taskCpus} vCPU`,
      `${z.executorsPerNode} x ${z.executorCores} cores: heap ${z.executorHeapMb} + JVM overhead ${z.jvmOverheadMb} + Python workers ${z.pythonMb} -> container ${z.executorContainerMb} MiB`,
    ];
  });
  const keras = deriveSparkSizing({ instanceType: type, coreNodes: profile.core.count, workerPeakRssMb: WORKER_PEAK_RSS_MB_BY_ENGINE.keras });
  return [
    table(['engine', 'one worker\'s peak RSS', `reserved per worker (x ${WORKER_MEMORY_MARGIN})`, `concurrent tasks per ${type} core node`, 'executors per node, each (MiB, 32 MiB steps)'], rows),
    '',
    `With Keras, one ${type} executor's ${keras.workersPerExecutor} Python workers need ${keras.pythonMb} MiB outside the JVM heap, out of the ` +
      `${keras.instance.nodeManagerMemoryMb} MiB YARN may hand out on the node.`,
    '',
    sourceLine('`workbench/src/emr/sizing.ts` (`WORKER_PEAK_RSS_MB_BY_ENGINE`, `deriveSparkSizing`) and the `emr` profile of `workbench.yaml`'),
  ].join('\n');
}

/** One line: the peaks alone, for pages that only need to quote them. */
export function workerPeakRss(): string {
  return [
    `One featurizing worker's peak RSS, as the EMR plan sizes containers with it: ${engines().map(([e, mb]) => `${e} ${mb} MiB`).join(', ')}.`,
    '',
    sourceLine('`workbench/src/emr/sizing.ts` (`WORKER_PEAK_RSS_MB_BY_ENGINE`)'),
  ].join('\n');
}

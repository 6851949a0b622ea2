/**
 * Driver and executor worker sizes for EMR Serverless, from the measured memory of one featurizing Python worker
 * (the same figures and margin as the EC2 sizing, emr/sizing.ts), restricted to the worker shapes Serverless
 * accepts. Pure: a table and arithmetic.
 *
 * On Serverless a worker is the container: its memory must hold the executor heap, Spark's overhead
 * (spark.executor.memoryOverhead, >= 384 MB, 10% of the heap) and, because the model lives in every Python worker
 * outside the heap, one Python worker per concurrent task. The Python memory goes into memoryOverhead, as on EC2
 * (pythonMemoryIn 'overhead'), so heap + overhead is exactly the worker's memory and nothing is billed unused.
 */
import { PlanRefusedError } from '../errors.js';
import {
  DRIVER_MEMORY_MB,
  FEATURIZE_WORKER_PEAK_RSS_MB,
  MAX_EXECUTOR_HEAP_MB,
  MIN_EXECUTOR_HEAP_MB,
  sparkOverheadMb,
  WORKER_MEMORY_MARGIN,
} from '../emr/sizing.js';

/**
 * The worker shapes EMR Serverless accepts: vCPU, memory range and step (GB). Source: EMR Serverless User Guide,
 * "Understanding application behavior", Supported worker configurations
 * (docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide/app-behavior.html#worker-configs), read 2026-12-04.
 * Disk: 20-200 GB for every shape, 20 GB included in the price.
 */
export const WORKER_SHAPES = [
  { vcpu: 1, minGb: 2, maxGb: 8, stepGb: 1 },
  { vcpu: 2, minGb: 4, maxGb: 16, stepGb: 1 },
  { vcpu: 4, minGb: 8, maxGb: 30, stepGb: 1 },
  { vcpu: 8, minGb: 16, maxGb: 60, stepGb: 4 },
  { vcpu: 16, minGb: 32, maxGb: 120, stepGb: 8 },
] as const;
export type WorkerVcpu = (typeof WORKER_SHAPES)[number]['vcpu'];
export const MIN_DISK_GB = 20;
export const MAX_DISK_GB = 200;

/**
 * The executor heap the worker's memory is first sized for: the JVM only holds a partition's image bytes and
 * Arrow batches. Memory is billed per GB-hour here, so the sizing starts from this, not from the largest heap.
 */
export const SERVERLESS_EXECUTOR_HEAP_MB = 2048;
/**
 * Driver vCPU: the driver converts the Keras model once (TensorFlow uses both cores) and runs PCA; its Python
 * process holds the model too, so one Python worker's memory is added to the driver's overhead.
 */
export const DRIVER_VCPU: WorkerVcpu = 2;

export interface WorkerSize {
  vcpu: WorkerVcpu;
  memoryGb: number;
  diskGb: number;
  /** spark.*.memory and spark.*.memoryOverhead, MB: their sum is memoryGb x 1024. */
  heapMb: number;
  overheadMb: number;
}

export interface ServerlessSizingInput {
  executors: number;
  executorVcpu: WorkerVcpu;
  diskGb: number;
  /** Measured peak RSS of one featurizing Python worker (MiB), per engine (emr/sizing.ts WORKER_PEAK_RSS_MB_BY_ENGINE). */
  workerPeakRssMb?: number;
  margin?: number;
}

export interface ServerlessSizing {
  driver: WorkerSize;
  executor: WorkerSize;
  executors: number;
  workerPeakRssMb: number;
  margin: number;
  /** ceil(peak x margin). */
  perWorkerMb: number;
  /** spark.task.cpus: above 1 when a task per vCPU does not fit the largest memory of the shape. */
  taskCpus: number;
  /** Concurrent tasks per executor = Python workers per executor. */
  tasksPerExecutor: number;
  /** Concurrent tasks of the whole run. */
  slots: number;
  /** The application's maximumCapacity: exactly the planned workers, so nothing beyond them can be billed. */
  capacity: { vcpu: number; memoryGb: number; diskGb: number };
  /** Spark settings for sparkSubmitParameters (--conf k=v). */
  sparkConf: Record<string, string>;
}

export function workerShape(vcpu: number) {
  const shape = WORKER_SHAPES.find((s) => s.vcpu === vcpu);
  if (!shape) throw new PlanRefusedError(`refused: EMR Serverless workers have 1, 2, 4, 8 or 16 vCPU, not ${vcpu}`, 'set profiles.<serverless>.executorVcpu to 1, 2, 4, 8 or 16');
  return shape;
}

/** The smallest allowed memory (GB) of `vcpu` that holds `neededMb`, or undefined when even the largest does not. */
export function allowedMemoryGb(vcpu: number, neededMb: number): number | undefined {
  const s = workerShape(vcpu);
  const gb = Math.max(s.minGb, Math.ceil(Math.ceil(neededMb / 1024) / s.stepGb) * s.stepGb);
  return gb <= s.maxGb ? gb : undefined;
}

/** The largest heap (a multiple of 32 MB, within [MIN, MAX]) whose heap + Spark overhead leaves `pythonMb` in `workerMb`. */
function heapFor(workerMb: number, pythonMb: number): number {
  let heap = Math.min(MAX_EXECUTOR_HEAP_MB, workerMb - pythonMb - 384);
  heap -= heap % 32;
  while (heap > 0 && heap + sparkOverheadMb(heap) + pythonMb > workerMb) heap -= 32;
  return heap;
}

function sizeWorker(vcpu: WorkerVcpu, diskGb: number, pythonMb: number, heapTargetMb: number): WorkerSize | undefined {
  const memoryGb = allowedMemoryGb(vcpu, heapTargetMb + sparkOverheadMb(heapTargetMb) + pythonMb);
  if (memoryGb === undefined) return undefined;
  const heapMb = heapFor(memoryGb * 1024, pythonMb);
  if (heapMb < MIN_EXECUTOR_HEAP_MB) return undefined;
  return { vcpu, memoryGb, diskGb, heapMb, overheadMb: memoryGb * 1024 - heapMb };
}

export function deriveServerlessSizing(i: ServerlessSizingInput): ServerlessSizing {
  const workerPeakRssMb = i.workerPeakRssMb ?? FEATURIZE_WORKER_PEAK_RSS_MB;
  const margin = i.margin ?? WORKER_MEMORY_MARGIN;
  if (!Number.isInteger(i.executors) || i.executors < 1) throw new Error(`deriveServerlessSizing: executors must be a positive integer, not ${i.executors}`);
  if (!(workerPeakRssMb > 0) || !(margin >= 1)) throw new Error('deriveServerlessSizing: workerPeakRssMb must be > 0 and margin >= 1');
  if (!(i.diskGb >= MIN_DISK_GB && i.diskGb <= MAX_DISK_GB)) throw new PlanRefusedError(`refused: worker disk ${i.diskGb} GB is outside 20-200 GB`, 'set profiles.<serverless>.diskGb between 20 and 200');
  workerShape(i.executorVcpu);
  const perWorkerMb = Math.ceil(workerPeakRssMb * margin);

  // One task per vCPU when its Python worker fits; otherwise fewer tasks, each with more threads (as on EC2).
  let executor: WorkerSize | undefined;
  let taskCpus = 1;
  for (taskCpus = 1; taskCpus <= i.executorVcpu && !executor; taskCpus *= 2) {
    executor = sizeWorker(i.executorVcpu, i.diskGb, (i.executorVcpu / taskCpus) * perWorkerMb, SERVERLESS_EXECUTOR_HEAP_MB);
    if (executor) break;
  }
  if (!executor) {
    throw new PlanRefusedError(
      `refused: one Python worker needs ${perWorkerMb} MB (${workerPeakRssMb} MB peak x ${margin}) and does not fit a ${i.executorVcpu} vCPU Serverless worker with a ${MIN_EXECUTOR_HEAP_MB} MB heap`,
      'set profiles.<serverless>.executorVcpu to another size (1, 2, 4, 8 or 16)',
    );
  }
  const driver = sizeWorker(DRIVER_VCPU, i.diskGb, perWorkerMb, DRIVER_MEMORY_MB);
  if (!driver) throw new PlanRefusedError(`refused: the driver (${DRIVER_MEMORY_MB} MB heap + ${perWorkerMb} MB Python) does not fit a ${DRIVER_VCPU} vCPU worker`, 'report this as a bug in workbench/src/serverless/sizing.ts');
  const tasksPerExecutor = i.executorVcpu / taskCpus;

  const sparkConf: Record<string, string> = {
    'spark.dynamicAllocation.enabled': 'false',
    'spark.executor.instances': String(i.executors),
    'spark.executor.cores': String(executor.vcpu),
    'spark.task.cpus': String(taskCpus),
    'spark.executor.memory': `${executor.heapMb}m`,
    'spark.executor.memoryOverhead': `${executor.overheadMb}m`,
    'spark.emr-serverless.executor.disk': `${executor.diskGb}g`,
    'spark.driver.cores': String(driver.vcpu),
    'spark.driver.memory': `${driver.heapMb}m`,
    'spark.driver.memoryOverhead': `${driver.overheadMb}m`,
    'spark.emr-serverless.driver.disk': `${driver.diskGb}g`,
  };
  return {
    driver,
    executor,
    executors: i.executors,
    workerPeakRssMb,
    margin,
    perWorkerMb,
    taskCpus,
    tasksPerExecutor,
    slots: i.executors * tasksPerExecutor,
    capacity: {
      vcpu: driver.vcpu + i.executors * executor.vcpu,
      memoryGb: driver.memoryGb + i.executors * executor.memoryGb,
      diskGb: driver.diskGb + i.executors * executor.diskGb,
    },
    sparkConf,
  };
}

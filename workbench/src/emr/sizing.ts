/**
 * Explicit Spark-on-YARN sizing per EMR core-node instance type. Pure: a table and arithmetic.
 *
 * Why: the job builds TensorFlow + MobileNetV2 once per Python worker, and there is one Python worker per
 * running task. Each worker holds ~1.8 GB outside the JVM heap. YARN kills a container whose process tree
 * (executor JVM + its Python workers) goes above the container size, so the container must be sized as
 * heap + JVM overhead + workers x the measured peak of one worker (with a margin), and every container
 * (the executors and the client-mode application master) must fit in the NodeManager's memory.
 *
 * Where the Python memory goes (`pythonMemoryIn`):
 * - 'overhead' (default): added to spark.executor.memoryOverhead. YARN's physical-memory monitor then
 *   enforces the whole tree, which is the real risk.
 * - 'pyspark-memory': spark.executor.pyspark.memory. Spark's worker.py turns it into RLIMIT_AS (virtual
 *   address space) of each worker, pyspark.memory / executor cores. TensorFlow reserves far more address
 *   space than it touches: measured here, one featurizing worker peaks at 1.8 GB RSS but 4.6 GB virtual, and
 *   under a 2.4 GB RLIMIT_AS it fails ("OOM when allocating tensor", then a segmentation fault). So this mode
 *   is kept for jobs without TensorFlow and is not the default.
 */
import { PlanRefusedError } from '../errors.js';

export interface InstanceSizing {
  instanceType: string;
  vcpu: number;
  memoryGiB: number;
  /** yarn.nodemanager.resource.memory-mb: what YARN may hand out to containers on one node. */
  nodeManagerMemoryMb: number;
  /** yarn.nodemanager.resource.cpu-vcores. */
  nodeManagerVcores: number;
  /** yarn.scheduler.maximum-allocation-mb: the largest single container. */
  maxAllocationMb: number;
}

/**
 * EMR's per-instance defaults, from the Amazon EMR Release Guide, "Task configuration"
 * (docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-hadoop-task-config.html), read from the guide's source
 * (github.com/awsdocs/amazon-emr-release-guide, doc_source/emr-hadoop-task-config.md, last version before the
 * repository was archived on 2023-06-15): yarn.nodemanager.resource.memory-mb and
 * yarn.scheduler.maximum-allocation-mb (equal for every type here), minimum-allocation-mb 32.
 * - m6i.* is not in that copy of the page. EMR's figures there go by instance memory alone (every 16 GiB type
 *   listed, m5.xlarge, c5.2xlarge, m5a.xlarge..., gets 12288; every 32 GiB type 24576; every 64 GiB type
 *   57344), so m6i.xlarge/m6i.2xlarge carry the figures of m5.xlarge/m5.2xlarge. Check the live page.
 * - vcores: the page lists memory only. EMR sets yarn.nodemanager.resource.cpu-vcores to the instance's vCPU
 *   count; vCPU and memory from the EC2 instance-type pages (aws.amazon.com/ec2/instance-types/). YARN's
 *   default resource calculator schedules by memory only, so memory is what must add up.
 */
export const EMR_MIN_ALLOCATION_MB = 32;

export const INSTANCE_SIZING_SOURCE =
  'Amazon EMR Release Guide, "Task configuration" (emr-hadoop-task-config), per-instance yarn.nodemanager.resource.memory-mb; ' +
  'vCPU/memory from the EC2 instance-type pages; m6i taken equal to m5 of the same size (not in the archived 2023 copy of the page)';

const row = (instanceType: string, vcpu: number, memoryGiB: number, nodeManagerMemoryMb: number): InstanceSizing => ({
  instanceType,
  vcpu,
  memoryGiB,
  nodeManagerMemoryMb,
  nodeManagerVcores: vcpu,
  maxAllocationMb: nodeManagerMemoryMb,
});

export const INSTANCE_SIZING: readonly InstanceSizing[] = [
  row('m5.xlarge', 4, 16, 12288),
  row('m5.2xlarge', 8, 32, 24576),
  row('m5.4xlarge', 16, 64, 57344),
  row('m6i.xlarge', 4, 16, 12288),
  row('m6i.2xlarge', 8, 32, 24576),
  row('r5.xlarge', 4, 32, 24576),
  row('r5.2xlarge', 8, 64, 57344),
  row('c5.2xlarge', 8, 16, 12288),
];

/**
 * Peak RSS (VmHWM) of one featurizing Python worker with the Keras engine, MiB: 1864412 kB measured on
 * 2026-12-02 on the workbench machine (tensorflow-cpu from pipeline/requirements.lock, MobileNetV2
 * include_top=False + avg pooling, 3 predicts on a batch of 64 x 224x224x3 float32 = the job's Arrow batch,
 * 1 intra-op thread). Its virtual peak (VmPeak) was 4668996 kB. This constant, not any file, is what the plan
 * uses; a caller with a better figure passes it as `workerPeakRssMb`.
 */
export const FEATURIZE_WORKER_PEAK_RSS_MB = 1821;
/**
 * The same peak per inference engine, MiB, measured on 2026-12-02 with pipeline/bench/worker_probe.py (one
 * process doing what one featurizing worker does on the 390 shared images, batch 64, 1 CPU). OpenVINO and ONNX
 * Runtime workers import no TensorFlow, hence about half the memory. These constants are the one source of
 * truth: the EMR plan sizes containers with them and the docs' worker-memory figures are generated from them
 * (`npm run docs`). `pipeline/tests/test_engines.py` re-measures and writes `bench-results/worker-memory.json`,
 * which nothing reads: update these by hand from it when the engines or the model change.
 */
export const WORKER_PEAK_RSS_MB_BY_ENGINE: Record<'keras' | 'openvino' | 'onnxruntime', number> = {
  keras: FEATURIZE_WORKER_PEAK_RSS_MB,
  openvino: 907,
  onnxruntime: 989,
};
/** Headroom over the measured peak: image sizes, allocator fragmentation, Python garbage between batches. */
export const WORKER_MEMORY_MARGIN = 1.25;
/**
 * Smallest executor heap accepted: Spark itself refuses below 450 MB (300 MB reserved x 1.5); the heap holds a
 * partition's binaryFile rows and the Arrow batches on their way to the workers.
 */
export const MIN_EXECUTOR_HEAP_MB = 1024;
/**
 * The JVM side of this job holds a partition's image bytes and Arrow batches (a few hundred MB); larger heaps
 * only lengthen GC pauses and make containers the rehearsal cannot hold. What is left stays unallocated.
 */
export const MAX_EXECUTOR_HEAP_MB = 4096;
/** The usual ceiling on cores per executor (more concurrent tasks per JVM stop scaling). */
export const MAX_EXECUTOR_CORES = 5;
/** Spark's minimum and factor for spark.executor.memoryOverhead (JVM off-heap: metaspace, threads, netty). */
export const SPARK_OVERHEAD_MIN_MB = 384;
export const SPARK_OVERHEAD_FACTOR = 0.1;
/**
 * Client mode: the driver runs on the master (outside the core nodes' YARN), the application master is a
 * small container on a core node: 512 MB + 384 MB overhead (Spark's defaults, set explicitly).
 */
export const YARN_AM_MEMORY_MB = 512;
export const YARN_AM_OVERHEAD_MB = 384;
/** The driver holds the broadcast weights (~9 MB) and runs PCA on a 1280x1280 covariance: 2 GB is ample. */
export const DRIVER_MEMORY_MB = 2048;

export type PythonMemoryPlacement = 'overhead' | 'pyspark-memory';

export interface SizingInput {
  instanceType: string;
  coreNodes: number;
  /** Measured peak RSS of one featurizing worker (default FEATURIZE_WORKER_PEAK_RSS_MB). */
  workerPeakRssMb?: number;
  margin?: number;
  pythonMemoryIn?: PythonMemoryPlacement;
}

export interface SparkSizing {
  instance: InstanceSizing;
  coreNodes: number;
  workerPeakRssMb: number;
  margin: number;
  pythonMemoryIn: PythonMemoryPlacement;
  /** Memory reserved for one Python worker: ceil(peak x margin). */
  perWorkerMb: number;
  /** Concurrent tasks (= Python workers) per node; below the vCPUs when memory is the limit. */
  tasksPerNode: number;
  taskCpus: number;
  executorCores: number;
  /** Python workers per executor = executorCores / taskCpus. */
  workersPerExecutor: number;
  executorsPerNode: number;
  executorInstances: number;
  executorHeapMb: number;
  /** The JVM's own overhead (Spark's max(384, 10% of heap)). */
  jvmOverheadMb: number;
  /** workersPerExecutor x perWorkerMb, in overhead or pyspark.memory per pythonMemoryIn. */
  pythonMb: number;
  /** What the executor asks YARN for, rounded up to EMR's 32 MB allocation step. */
  executorContainerMb: number;
  amContainerMb: number;
  /** NodeManager memory left unallocated on a node that also hosts the application master. */
  unallocatedMbPerNode: number;
  driverMemoryMb: number;
  /** spark-submit --conf pairs (strings, as EMR's "spark-defaults" classification and spark-submit take them). */
  sparkConf: Record<string, string>;
}

export function supportedInstanceTypes(): string[] {
  return INSTANCE_SIZING.map((r) => r.instanceType);
}

export function instanceSizing(instanceType: string): InstanceSizing {
  const found = INSTANCE_SIZING.find((r) => r.instanceType === instanceType);
  if (!found) {
    throw new PlanRefusedError(
      `refused: no YARN sizing known for core instance type ${JSON.stringify(instanceType)}, so the executors' memory cannot be planned`,
      `use one of ${supportedInstanceTypes().join(', ')} for profiles.<emr>.core.instanceType, or add the type to workbench/src/emr/sizing.ts with its source`,
    );
  }
  return found;
}

const roundUp = (x: number, step: number) => Math.ceil(x / step) * step;
export const sparkOverheadMb = (heapMb: number) => Math.max(SPARK_OVERHEAD_MIN_MB, Math.ceil(heapMb * SPARK_OVERHEAD_FACTOR));

/** The largest heap whose heap + JVM overhead fits in `mb` (heap a multiple of 32 MB), capped at MAX_EXECUTOR_HEAP_MB. */
function largestHeap(mb: number): number {
  let heap = Math.min(MAX_EXECUTOR_HEAP_MB, mb - SPARK_OVERHEAD_MIN_MB);
  heap -= heap % EMR_MIN_ALLOCATION_MB;
  while (heap > 0 && heap + sparkOverheadMb(heap) > mb) heap -= EMR_MIN_ALLOCATION_MB;
  return heap;
}

interface Layout {
  tasksPerNode: number;
  taskCpus: number;
  workersPerExecutor: number;
  executorsPerNode: number;
  heap: number;
}

/**
 * Derives the executor layout and the Spark settings. Tries to run one task per vCPU; when the Python
 * workers do not fit, runs fewer concurrent tasks per node and gives each more TensorFlow threads
 * (spark.task.cpus), so the cores stay busy. Prefers fewer, larger executors (more room for workers).
 */
export function deriveSparkSizing(input: SizingInput): SparkSizing {
  const instance = instanceSizing(input.instanceType);
  const workerPeakRssMb = input.workerPeakRssMb ?? FEATURIZE_WORKER_PEAK_RSS_MB;
  const margin = input.margin ?? WORKER_MEMORY_MARGIN;
  const pythonMemoryIn = input.pythonMemoryIn ?? 'overhead';
  if (!Number.isInteger(input.coreNodes) || input.coreNodes < 1) throw new Error(`deriveSparkSizing: coreNodes must be a positive integer, not ${input.coreNodes}`);
  if (!(workerPeakRssMb > 0) || !(margin >= 1)) throw new Error('deriveSparkSizing: workerPeakRssMb must be > 0 and margin >= 1');

  const perWorkerMb = Math.ceil(workerPeakRssMb * margin);
  const amContainerMb = roundUp(YARN_AM_MEMORY_MB + YARN_AM_OVERHEAD_MB, EMR_MIN_ALLOCATION_MB);
  // The AM may land on any core node: keep room for it on each, so every executor can always be placed.
  const budget = instance.nodeManagerMemoryMb - amContainerMb;

  let layout: Layout | undefined;
  for (let tasks = instance.nodeManagerVcores; tasks >= 1 && !layout; tasks--) {
    // More TensorFlow threads per task when memory caps the workers; not with pyspark.memory, whose per-worker
    // share is divided by executor cores and would shrink with every extra thread.
    const taskCpus = pythonMemoryIn === 'pyspark-memory' ? 1 : Math.max(1, Math.floor(instance.nodeManagerVcores / tasks));
    for (let perExec = Math.min(tasks, MAX_EXECUTOR_CORES); perExec >= 1; perExec--) {
      if (tasks % perExec !== 0 || perExec * taskCpus > instance.nodeManagerVcores) continue;
      const executorsPerNode = tasks / perExec;
      const perExecutorMb = Math.floor(budget / executorsPerNode);
      const pythonNeedMb = perExec * perWorkerMb;
      const heap = largestHeap(Math.min(perExecutorMb, instance.maxAllocationMb) - pythonNeedMb);
      if (heap >= MIN_EXECUTOR_HEAP_MB) {
        layout = { tasksPerNode: tasks, taskCpus, workersPerExecutor: perExec, executorsPerNode, heap };
        break;
      }
    }
  }
  if (!layout) {
    throw new PlanRefusedError(
      `refused: one Python worker needs ${perWorkerMb} MB (${workerPeakRssMb} MB peak x ${margin}) and a ${MIN_EXECUTOR_HEAP_MB} MB executor heap ` +
        `does not fit next to it in ${instance.instanceType}'s ${instance.nodeManagerMemoryMb} MB of YARN memory`,
      `use a core instance type with more memory (e.g. ${INSTANCE_SIZING.filter((r) => r.nodeManagerMemoryMb > instance.nodeManagerMemoryMb).map((r) => r.instanceType).join(', ') || 'none larger is in the table'})`,
    );
  }

  const executorCores = layout.workersPerExecutor * layout.taskCpus;
  const jvmOverheadMb = sparkOverheadMb(layout.heap);
  const pythonMb = layout.workersPerExecutor * perWorkerMb;
  // Spark divides spark.executor.pyspark.memory by executor cores (not by concurrent tasks) per worker.
  const pysparkMemoryMb = pythonMemoryIn === 'pyspark-memory' ? executorCores * perWorkerMb : 0;
  const overheadMb = jvmOverheadMb + (pythonMemoryIn === 'overhead' ? pythonMb : 0);
  const executorContainerMb = roundUp(layout.heap + overheadMb + pysparkMemoryMb, EMR_MIN_ALLOCATION_MB);
  const executorInstances = layout.executorsPerNode * input.coreNodes;

  const sparkConf: Record<string, string> = {
    'spark.dynamicAllocation.enabled': 'false',
    'spark.executor.instances': String(executorInstances),
    'spark.executor.cores': String(executorCores),
    'spark.task.cpus': String(layout.taskCpus),
    'spark.executor.memory': `${layout.heap}m`,
    'spark.executor.memoryOverhead': `${overheadMb}m`,
    ...(pysparkMemoryMb > 0 ? { 'spark.executor.pyspark.memory': `${pysparkMemoryMb}m` } : {}),
    'spark.driver.memory': `${DRIVER_MEMORY_MB}m`,
    'spark.yarn.am.memory': `${YARN_AM_MEMORY_MB}m`,
    'spark.yarn.am.memoryOverhead': `${YARN_AM_OVERHEAD_MB}m`,
  };

  const sizing: SparkSizing = {
    instance,
    coreNodes: input.coreNodes,
    workerPeakRssMb,
    margin,
    pythonMemoryIn,
    perWorkerMb,
    tasksPerNode: layout.tasksPerNode,
    taskCpus: layout.taskCpus,
    executorCores,
    workersPerExecutor: layout.workersPerExecutor,
    executorsPerNode: layout.executorsPerNode,
    executorInstances,
    executorHeapMb: layout.heap,
    jvmOverheadMb,
    pythonMb,
    executorContainerMb,
    amContainerMb,
    unallocatedMbPerNode: instance.nodeManagerMemoryMb - amContainerMb - layout.executorsPerNode * executorContainerMb,
    driverMemoryMb: DRIVER_MEMORY_MB,
    sparkConf,
  };
  assertContainersFit(sizing);
  return sizing;
}

/** The invariant the whole module exists for; a bug in the arithmetic above must never reach a cluster. */
export function assertContainersFit(s: SparkSizing): void {
  const { nodeManagerMemoryMb, maxAllocationMb, nodeManagerVcores } = s.instance;
  const problems: string[] = [];
  if (s.executorContainerMb > maxAllocationMb) problems.push(`executor container ${s.executorContainerMb} MB > maximum allocation ${maxAllocationMb} MB`);
  if (s.amContainerMb + s.executorsPerNode * s.executorContainerMb > nodeManagerMemoryMb) {
    problems.push(`AM ${s.amContainerMb} MB + ${s.executorsPerNode} x ${s.executorContainerMb} MB > NodeManager memory ${nodeManagerMemoryMb} MB`);
  }
  if (s.pythonMemoryIn === 'overhead' && s.executorContainerMb < s.executorHeapMb + s.jvmOverheadMb + s.pythonMb) problems.push('container smaller than heap + overhead + Python workers');
  if (s.executorsPerNode * s.executorCores > nodeManagerVcores) problems.push(`${s.executorsPerNode} x ${s.executorCores} cores > ${nodeManagerVcores} vcores`);
  if (s.executorCores % s.taskCpus !== 0) problems.push(`executor cores ${s.executorCores} not a multiple of spark.task.cpus ${s.taskCpus}`);
  if (problems.length > 0) {
    throw new PlanRefusedError(`refused: the derived Spark sizing for ${s.instance.instanceType} does not fit: ${problems.join('; ')}`, 'report this as a bug in workbench/src/emr/sizing.ts');
  }
}

/**
 * What the rehearsal's YARN may hand out on the 24 GB workbench machine: leaves ~8 GB for the driver (2 GB),
 * MinIO, the YARN daemons (~1.5 GB), the OS and whatever else runs.
 */
export const REHEARSAL_HOST_BUDGET_MB = 16384;

/** One core node for the offline rehearsal (a local YARN): same container shapes, as many executors as fit the host. */
export interface RehearsalNode {
  nodeManagerMemoryMb: number;
  nodeManagerVcores: number;
  maxAllocationMb: number;
  executorInstances: number;
  /** True when the host could not hold all of one core node's executors. */
  scaledDown: boolean;
  /** The sizing's sparkConf with spark.executor.instances set to what the local node holds. */
  sparkConf: Record<string, string>;
}

/**
 * The rehearsal proves that ONE executor container of the planned shape survives the job under YARN's memory
 * enforcement, so the container shape is never scaled: when the host cannot hold a whole core node
 * (e.g. 24576 MB of an m5.2xlarge on a 24 GB machine), the local node holds fewer executors of the same size.
 */
export function rehearsalNode(s: SparkSizing, hostBudgetMb: number = REHEARSAL_HOST_BUDGET_MB): RehearsalNode {
  const fits = Math.min(s.executorsPerNode, Math.floor((hostBudgetMb - s.amContainerMb) / s.executorContainerMb));
  if (fits < 1) {
    throw new PlanRefusedError(
      `refused: one ${s.instance.instanceType} executor container (${s.executorContainerMb} MB) and the AM (${s.amContainerMb} MB) do not fit in the ${hostBudgetMb} MB this machine can give the rehearsal`,
      'rehearse on a machine with more memory, or plan a smaller core instance type',
    );
  }
  // All fit: declare the node's own memory, or the host budget when smaller (what the containers use fits in it).
  const memory = fits === s.executorsPerNode ? Math.min(s.instance.nodeManagerMemoryMb, hostBudgetMb) : s.amContainerMb + fits * s.executorContainerMb;
  return {
    nodeManagerMemoryMb: memory,
    nodeManagerVcores: s.instance.nodeManagerVcores,
    maxAllocationMb: Math.min(s.instance.maxAllocationMb, memory),
    executorInstances: fits,
    scaledDown: fits < s.executorsPerNode,
    sparkConf: { ...s.sparkConf, 'spark.executor.instances': String(fits) },
  };
}

import { describe, expect, it } from 'vitest';
import {
  assertContainersFit,
  deriveSparkSizing,
  FEATURIZE_WORKER_PEAK_RSS_MB,
  INSTANCE_SIZING,
  instanceSizing,
  MIN_EXECUTOR_HEAP_MB,
  rehearsalNode,
  sparkOverheadMb,
  supportedInstanceTypes,
  WORKER_MEMORY_MARGIN,
} from '../../src/emr/sizing.js';
import { PlanRefusedError } from '../../src/errors.js';

const mb = (s: string | undefined) => Number(/^(\d+)m$/.exec(s ?? '')?.[1] ?? NaN);

describe('instance table', () => {
  it('has the supported types with EMR\'s NodeManager memory (Release Guide, task configuration)', () => {
    expect(supportedInstanceTypes()).toEqual(
      expect.arrayContaining(['m5.xlarge', 'm5.2xlarge', 'm5.4xlarge', 'm6i.xlarge', 'm6i.2xlarge', 'r5.xlarge', 'r5.2xlarge', 'c5.2xlarge']),
    );
    expect(instanceSizing('m5.xlarge')).toMatchObject({ vcpu: 4, memoryGiB: 16, nodeManagerMemoryMb: 12288, nodeManagerVcores: 4 });
    expect(instanceSizing('r5.2xlarge')).toMatchObject({ vcpu: 8, memoryGiB: 64, nodeManagerMemoryMb: 57344 });
    expect(instanceSizing('c5.2xlarge')).toMatchObject({ vcpu: 8, memoryGiB: 16, nodeManagerMemoryMb: 12288 });
    for (const r of INSTANCE_SIZING) {
      // YARN never gets the whole machine: the OS and the daemons keep the rest.
      expect(r.nodeManagerMemoryMb).toBeLessThan(r.memoryGiB * 1024);
      expect(r.nodeManagerVcores).toBe(r.vcpu);
    }
  });

  it('refuses a type that is not in the table, listing the supported ones', () => {
    const refusal = (() => {
      try {
        deriveSparkSizing({ instanceType: 'm6g.xlarge', coreNodes: 2 });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(PlanRefusedError);
    expect((refusal as PlanRefusedError).message).toContain('"m6g.xlarge"');
    for (const t of supportedInstanceTypes()) expect((refusal as PlanRefusedError).fix).toContain(t);
  });
});

describe('deriveSparkSizing', () => {
  it('m5.xlarge x 2: one 4-core executor per node, Python workers x peak x margin in the overhead, all in 12288 MB', () => {
    const s = deriveSparkSizing({ instanceType: 'm5.xlarge', coreNodes: 2 });
    const perWorker = Math.ceil(FEATURIZE_WORKER_PEAK_RSS_MB * WORKER_MEMORY_MARGIN);
    expect(s.perWorkerMb).toBe(perWorker); // 2277
    expect(s).toMatchObject({ tasksPerNode: 4, taskCpus: 1, executorCores: 4, workersPerExecutor: 4, executorsPerNode: 1, executorInstances: 2 });
    expect(s.pythonMb).toBe(4 * perWorker); // 9108
    expect(s.amContainerMb).toBe(896); // 512 + 384
    // 12288 - 896 (AM) - 9108 (workers) = 2284 for heap + JVM overhead: heap 1888 (32 MB steps) + 384.
    expect(s.executorHeapMb).toBe(1888);
    expect(s.jvmOverheadMb).toBe(384);
    // 1888 + 384 + 9108 = 11380, requested in EMR's 32 MB allocation steps.
    expect(s.executorContainerMb).toBe(11392);
    expect(s.amContainerMb + s.executorsPerNode * s.executorContainerMb).toBeLessThanOrEqual(12288);
    expect(s.sparkConf).toEqual({
      'spark.dynamicAllocation.enabled': 'false',
      'spark.executor.instances': '2',
      'spark.executor.cores': '4',
      'spark.task.cpus': '1',
      'spark.executor.memory': '1888m',
      'spark.executor.memoryOverhead': `${384 + 9108}m`,
      'spark.driver.memory': '2048m',
      'spark.yarn.am.memory': '512m',
      'spark.yarn.am.memoryOverhead': '384m',
    });
    expect(s.sparkConf).not.toHaveProperty('maximizeResourceAllocation');
  });

  it('every supported type: every container fits its NodeManager, executors x cores within the vcores', () => {
    for (const t of supportedInstanceTypes()) {
      for (const coreNodes of [1, 2, 5]) {
        const s = deriveSparkSizing({ instanceType: t, coreNodes });
        const heap = mb(s.sparkConf['spark.executor.memory']);
        const overhead = mb(s.sparkConf['spark.executor.memoryOverhead']);
        expect(heap).toBeGreaterThanOrEqual(MIN_EXECUTOR_HEAP_MB);
        expect(overhead).toBe(sparkOverheadMb(heap) + s.workersPerExecutor * s.perWorkerMb);
        expect(heap + overhead).toBeLessThanOrEqual(s.executorContainerMb);
        expect(s.executorContainerMb % 32).toBe(0);
        expect(s.amContainerMb + s.executorsPerNode * s.executorContainerMb).toBeLessThanOrEqual(s.instance.nodeManagerMemoryMb);
        expect(s.executorContainerMb).toBeLessThanOrEqual(s.instance.maxAllocationMb);
        expect(s.executorsPerNode * s.executorCores).toBeLessThanOrEqual(s.instance.nodeManagerVcores);
        expect(Number(s.sparkConf['spark.executor.instances'])).toBe(s.executorsPerNode * coreNodes);
        expect(s.workersPerExecutor * s.taskCpus).toBe(s.executorCores);
      }
    }
  });

  it('memory-bound types run fewer workers with more TensorFlow threads each (c5.2xlarge: 8 vCPU, 12 GB)', () => {
    const s = deriveSparkSizing({ instanceType: 'c5.2xlarge', coreNodes: 2 });
    expect(s.tasksPerNode).toBe(4);
    expect(s.taskCpus).toBe(2);
    expect(s.sparkConf['spark.task.cpus']).toBe('2');
    expect(s.sparkConf['spark.executor.cores']).toBe('8');
  });

  it('a bigger measured worker peak lowers the concurrency rather than overcommitting', () => {
    const s = deriveSparkSizing({ instanceType: 'm5.xlarge', coreNodes: 2, workerPeakRssMb: 3000 });
    expect(s.perWorkerMb).toBe(3750);
    expect(s.tasksPerNode).toBe(2); // 3 x 3750 + 1024 heap + 384 + 896 AM > 12288
    expect(s.taskCpus).toBe(2);
    expect(s.amContainerMb + s.executorsPerNode * s.executorContainerMb).toBeLessThanOrEqual(12288);
  });

  it('refuses when not even one worker and the minimum heap fit', () => {
    const attempt = () => deriveSparkSizing({ instanceType: 'm5.xlarge', coreNodes: 2, workerPeakRssMb: 9000 });
    expect(attempt).toThrow(PlanRefusedError);
    expect(attempt).toThrow(/needs 11250 MB/);
    try {
      attempt();
    } catch (err) {
      expect((err as PlanRefusedError).fix).toMatch(/r5\.xlarge/);
    }
  });

  it("'pyspark-memory' puts the workers in spark.executor.pyspark.memory (Spark divides it by executor cores per worker)", () => {
    const s = deriveSparkSizing({ instanceType: 'c5.2xlarge', coreNodes: 1, pythonMemoryIn: 'pyspark-memory' });
    const pyspark = mb(s.sparkConf['spark.executor.pyspark.memory']);
    expect(pyspark / s.executorCores).toBe(s.perWorkerMb);
    expect(mb(s.sparkConf['spark.executor.memoryOverhead'])).toBe(s.jvmOverheadMb);
    expect(s.executorContainerMb).toBeGreaterThanOrEqual(s.executorHeapMb + s.jvmOverheadMb + pyspark);
    // One TensorFlow thread per task there: more would divide each worker's share further.
    expect(s.taskCpus).toBe(1);
    expect(s.tasksPerNode).toBe(4);
  });

  it('assertContainersFit rejects a sizing that would not fit', () => {
    const s = deriveSparkSizing({ instanceType: 'm5.xlarge', coreNodes: 2 });
    expect(() => assertContainersFit({ ...s, executorContainerMb: s.executorContainerMb + 32 })).toThrow(/NodeManager memory 12288/);
    expect(() => assertContainersFit({ ...s, executorsPerNode: 2 })).toThrow(PlanRefusedError);
  });

  it('rejects nonsense input', () => {
    expect(() => deriveSparkSizing({ instanceType: 'm5.xlarge', coreNodes: 0 })).toThrow(/coreNodes/);
    expect(() => deriveSparkSizing({ instanceType: 'm5.xlarge', coreNodes: 1, margin: 0.5 })).toThrow(/margin/);
  });
});

describe('rehearsalNode', () => {
  it('m5.xlarge: the whole core node fits the host: same NodeManager memory and vcores, 1 executor', () => {
    const r = rehearsalNode(deriveSparkSizing({ instanceType: 'm5.xlarge', coreNodes: 2 }), 16384);
    expect(r).toMatchObject({ nodeManagerMemoryMb: 12288, nodeManagerVcores: 4, executorInstances: 1, scaledDown: false });
    expect(r.sparkConf['spark.executor.instances']).toBe('1');
  });

  it('m5.2xlarge: keeps the executor container shape and holds fewer executors', () => {
    const s = deriveSparkSizing({ instanceType: 'm5.2xlarge', coreNodes: 2 });
    const r = rehearsalNode(s, 16384);
    expect(r.scaledDown).toBe(true);
    expect(r.executorInstances).toBe(1);
    expect(r.nodeManagerMemoryMb).toBe(s.amContainerMb + s.executorContainerMb);
    expect(r.sparkConf['spark.executor.memory']).toBe(s.sparkConf['spark.executor.memory']);
    expect(r.sparkConf['spark.executor.memoryOverhead']).toBe(s.sparkConf['spark.executor.memoryOverhead']);
  });

  it('refuses when one executor container does not fit the host', () => {
    expect(() => rehearsalNode(deriveSparkSizing({ instanceType: 'm5.xlarge', coreNodes: 2 }), 8192)).toThrow(PlanRefusedError);
  });
});

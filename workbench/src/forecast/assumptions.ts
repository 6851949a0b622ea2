/**
 * The forecast's assumptions that are not measured here, each in one place with its reason. Every target's
 * forecast (EMR on EC2 today, Serverless later) reads its CPU assumption from this file.
 */

/**
 * Speed of one cloud vCPU relative to one core of the machine the throughput profile was measured on (stated,
 * not measured: only a real run can check it; the report puts predicted and actual side by side).
 *
 * An EC2 vCPU of the m5/m6i/c5/r5 families is one hyperthread: two vCPUs share a physical core, and with every
 * vCPU busy (the job runs one task per vCPU) simultaneous multithreading gives roughly 1.2-1.3x one thread on
 * this kind of SIMD-heavy inference, i.e. ~0.6 of a core per vCPU. The profile's machine (2 KVM vCPUs, one
 * thread per core as the guest sees them) is counted as whole cores. 0.6 also absorbs the older Xeon cores of
 * the m5 family against a current EPYC. It is applied to the fixed part (the driver runs on a vCPU too) and to
 * the per-image part alike.
 */
export const VCPU_DERATE = 0.6;

/**
 * Images per featurization task the job uses by default (config job.imagesPerTask, whose default is the
 * pipeline's task_sizing.py DEFAULT_IMAGES_PER_TASK). The forecast counts whole waves of tasks: a last, partial
 * wave costs a whole task's time.
 */
export { DEFAULT_IMAGES_PER_TASK } from '../config/schema.js';

/**
 * S3 requests the job's scan makes per image: 2 HEAD + 1 GET, all GET-class. Spark's binaryFile reader asks for the
 * file's status (one HEAD), then opens it by path (S3A's open asks again: a second HEAD), then reads it (the GET).
 * Measured with S3A's own request counters on Hadoop 3.3.4 (EMR 7) and 3.4.2 (EMR 8) against MinIO:
 * `pipeline/bench/s3a_probe.py` prints `scan_requests_per_file`. EMR's own s3:// connector (EMRFS) is assumed to
 * make as many; the listing (one LIST per 1,000 keys) and the outputs (a few requests per part file) are left out.
 */
export const SCAN_S3_REQUESTS_PER_IMAGE = 3;

/**
 * The two services every rehearsal (EMR on EC2 and EMR Serverless) runs the planned job on, started the same way:
 *
 *   storage  the native stack's MinIO, in a state folder of the rehearsal's own, holding the plan's bucket, with
 *            the plan's uploads put there by the one uploader (as the real promote puts them in S3)
 *   YARN     one local node of the shape the rehearsal derived from the plan, container memory enforced, S3A
 *            pointed at that MinIO; stopped by the command's scope
 */
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { RunContext } from '../../context.js';
import type { EuRegion, WorkbenchConfig } from '../../config/schema.js';
import type { ToolPaths } from '../../setup/index.js';
import { ensureBucket } from '../../stack/bucket.js';
import { startStack } from '../../stack/index.js';
import type { YarnNodeShape } from '../../stack/yarn/yarn-conf.js';
import { yarnService, type StartedYarn } from '../../stack/yarn/yarn-service.js';
import type { YarnLauncher } from '../../stack/yarn/yarn-service.js';
import { createS3Client } from '../../storage/s3-client.js';
import type { UploadRequest } from '../../storage/upload-plan.js';
import { syncUploads } from '../../storage/uploader.js';

export interface RehearsalStorage {
  s3: S3Client;
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The rehearsal's own state folder (absolute): its MinIO and YARN live under it. */
  stateDir: string;
}

/** MinIO for the plan's bucket (state under <stack.stateDir>/<stateName>), with the plan's uploads in it. */
export async function startRehearsalStorage(
  cfg: WorkbenchConfig,
  tools: ToolPaths,
  ctx: RunContext,
  o: { stateName: string; region: EuRegion; uploads: UploadRequest },
): Promise<RehearsalStorage> {
  const { out, signal } = ctx;
  const local = cfg.profiles.local;
  if (local?.kind !== 'local') throw new Error('the rehearsal needs the local profile for its MinIO');
  const stackCfg: WorkbenchConfig = {
    ...cfg,
    profileName: 'local',
    profile: { ...local, region: o.region },
    stack: { ...cfg.stack, backend: 'native', stateDir: path.join(cfg.stack.stateDir, o.stateName) },
  };
  const stack = await startStack(stackCfg, tools, ctx, { keep: false, out, env: ctx.env });
  const bucket = o.uploads.bucket;
  const s3Access = { ...stack.s3, bucket };
  await ensureBucket(s3Access, signal);
  const s3 = createS3Client(s3Access);
  ctx.stack.defer(() => s3.destroy(), 's3 client');
  out.info(`rehearsal: s3://${bucket}/ is served by MinIO at ${stack.s3.endpoint}`);
  // Single PUTs, as the EMR executor sends them to AWS S3 (no `archives`): the rehearsal stands in for that upload.
  await syncUploads(s3, o.uploads, { out, signal, label: `upload to s3://${bucket}/ (MinIO)` });
  return { s3, endpoint: stack.s3.endpoint, accessKeyId: stack.s3.accessKeyId, secretAccessKey: stack.s3.secretAccessKey, stateDir: path.resolve(cfg.root, stackCfg.stack.stateDir) };
}

/** One local YARN node of `node`'s shape, reading s3:// from the rehearsal's MinIO; its containers see `python`. */
export async function startRehearsalYarn(
  cfg: WorkbenchConfig,
  ctx: RunContext,
  o: {
    jars: YarnLauncher;
    tools: Pick<ToolPaths, 'javaHome' | 's3aCredentialsProvider'>;
    storage: RehearsalStorage;
    region: EuRegion;
    /** The rehearsal's node (emr/sizing.ts rehearsalNode, rehearsal/serverless-submit.ts serverlessRehearsalNode). */
    node: { nodeManagerMemoryMb: number; nodeManagerVcores: number; maxAllocationMb: number };
    python: string;
    baseEnv: Record<string, string | undefined>;
  },
): Promise<StartedYarn> {
  const { storage } = o;
  const node: YarnNodeShape = { memoryMb: o.node.nodeManagerMemoryMb, vcores: o.node.nodeManagerVcores, maxAllocationMb: o.node.maxAllocationMb };
  const yarn = await yarnService({
    jars: o.jars,
    javaHome: o.tools.javaHome,
    stateDir: path.join(storage.stateDir, 'yarn'),
    node,
    s3: { endpoint: storage.endpoint, region: o.region, credentialsProvider: o.tools.s3aCredentialsProvider },
    containerEnv: { AWS_ACCESS_KEY_ID: storage.accessKeyId, AWS_SECRET_ACCESS_KEY: storage.secretAccessKey, PYSPARK_PYTHON: o.python },
    readyTimeoutMs: cfg.stack.readyTimeoutSeconds * 1000,
    baseEnv: o.baseEnv,
  }).start(ctx.signal);
  ctx.stack.use(yarn, (y) => y.stop(), 'rehearsal YARN', 'run `npm run stop`; a leftover MiniYARNCluster JVM can be killed by its marker in `ps`');
  ctx.out.info(`rehearsal: YARN ${yarn.resourceManager}, one node of ${node.memoryMb} MB / ${node.vcores} vcores, container memory enforced`);
  return yarn;
}

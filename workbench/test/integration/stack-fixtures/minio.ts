/**
 * A bare MinIO handle for storage tests: the real server on free loopback ports, data and log under `dir`, fresh
 * credentials. Not started: a test that restarts the server keeps the handle; others `start()` it once.
 */
import path from 'node:path';
import type { ToolPaths } from '../../../src/setup/tools.js';
import { generateCredentials, type StackCredentials } from '../../../src/stack/credentials.js';
import { minioService } from '../../../src/stack/native/minio.js';
import { pickFreePorts } from '../../../src/stack/ports.js';

export const TEST_MINIO_REGION = 'eu-west-3';

export async function testMinio(tools: ToolPaths, dir: string): Promise<{ handle: ReturnType<typeof minioService>; credentials: StackCredentials }> {
  const [port, consolePort] = await pickFreePorts(2);
  const credentials = generateCredentials();
  const handle = minioService({
    binary: tools.minio,
    dataDir: path.join(dir, 'data'),
    logFile: path.join(dir, 'minio.log'),
    port: port!,
    consolePort: consolePort!,
    region: TEST_MINIO_REGION,
    credentials,
    readyTimeoutMs: 60_000,
    baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  return { handle, credentials };
}

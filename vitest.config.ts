import { defineConfig } from 'vitest/config';

// Two projects: fast pure tests, and integration tests that start real processes (MinIO, Spark, moto).
// Integration tests run one file at a time: the machine has 2 cores and each file owns a whole stack.
export default defineConfig({
  test: {
    // The AWS SDK's Node-version notice is noise in test output (the CLI sets the same).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['workbench/test/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['workbench/test/integration/**/*.test.ts', 'tests/**/*.test.ts'],
          testTimeout: 15 * 60_000,
          hookTimeout: 15 * 60_000,
          fileParallelism: false,
          maxWorkers: 1,
        },
      },
    ],
  },
});

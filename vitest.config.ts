import { defineConfig } from 'vitest/config';

// Three projects: fast pure tests; integration tests that start real processes (MinIO, Spark, moto) on one
// release; and the cross-release tests, which need both releases' venvs.
// Integration tests run one file at a time: the machine has 2 cores and each file owns a whole stack.
export default defineConfig({
  test: {
    // The AWS SDK's Node-version notice is noise in test output (the CLI sets the same).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // Each run's temp folders under one folder, removed at the end (workbench/test/helpers/run-tmpdir.ts).
    globalSetup: ['workbench/test/helpers/run-tmpdir.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['workbench/test/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        // Both supported releases side by side (tests/releases): `make test-releases` sets up both venvs first.
        test: {
          name: 'releases',
          include: ['tests/releases/**/*.test.ts'],
          testTimeout: 20 * 60_000,
          hookTimeout: 20 * 60_000,
          fileParallelism: false,
          maxWorkers: 1,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['workbench/test/integration/**/*.test.ts', 'tests/**/*.test.ts'],
          exclude: ['tests/releases/**'],
          testTimeout: 15 * 60_000,
          hookTimeout: 15 * 60_000,
          fileParallelism: false,
          maxWorkers: 1,
        },
      },
    ],
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // ffmpeg-heavy suites compete for two cores; keep parallelism modest.
    maxWorkers: 2,
  },
});

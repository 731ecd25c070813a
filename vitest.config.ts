import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // ffmpeg-heavy suites compete for two cores; keep parallelism modest.
    maxWorkers: 2,
    // Files share a worker, and the modules it loaded, rather than one each: a worker per file cost
    // ~380 ms each, a minute and a half of a full run here. No test keeps state in a module
    // (dependencies are passed in; fake timers are restored after each use).
    isolate: false,
  },
});

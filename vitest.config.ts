import { defineConfig } from 'vitest/config';

// Two projects: `unit` (fast, in-process: one module or a few with fakes) and `e2e` (a whole gateway, in-process
// or as a child process). Where a test goes: docs/architecture.md, "Tests".
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
    ],
  },
});

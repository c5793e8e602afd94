import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'extensions/**/*.test.ts'],
    setupFiles: ['reflect-metadata'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    // Set-up and clean-up hooks pack the package or close many instances; on a loaded 2-core machine 10 s is not enough.
    hookTimeout: 60_000,
    pool: 'forks',
  },
});

import { defineConfig } from 'vitest/config';

// Kernel tests run in Node on Dawn (npm `webgpu`) over SwiftShader; see scripts/swiftshader-env.sh.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/setup.ts'],
    pool: 'forks',
    // One GPU device per file, files one after another: SwiftShader already uses both cores.
    fileParallelism: false,
    testTimeout: 60_000,
  },
});

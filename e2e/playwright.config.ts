import { defineConfig } from '@playwright/test';
import { chromiumLaunch } from './chromium';

const PORT = 5199;

// Two browsers: one with WebGPU (SwiftShader), one without, for the CPU fallback path.
export default defineConfig({
  testDir: '.',
  timeout: 120_000,
  workers: 1,
  reporter: [['list']],
  outputDir: '../test-results',
  use: { baseURL: `http://localhost:${PORT}` },
  webServer: {
    command: `npx vite --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}`,
    reuseExistingServer: false,
    cwd: '..',
  },
  projects: [
    { name: 'webgpu', testIgnore: /no-webgpu/, use: { launchOptions: chromiumLaunch(true) } },
    { name: 'no-webgpu', testMatch: /no-webgpu/, use: { launchOptions: chromiumLaunch(false) } },
  ],
});

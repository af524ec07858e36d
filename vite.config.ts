import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// WGSL files are imported as text with the `?raw` suffix; the worker is an ES module worker.
export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
  // Pre-bundle up front: a dependency discovered late makes the dev server reload the page mid-test.
  optimizeDeps: { include: ['react', 'react-dom/client', 'react/jsx-dev-runtime', 'comlink', 'zustand', 'onnxruntime-web'] },
  build: { target: 'es2022' },
  server: { port: 5173, strictPort: false },
});

import { defineConfig } from 'vite';

// BigInt and top-level await need a modern target; the polkadot.js packages are ES modules.
export default defineConfig({
  build: { target: 'es2022', chunkSizeWarningLimit: 2000 },
});

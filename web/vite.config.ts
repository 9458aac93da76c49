import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The build goes where `make` says (--outDir); `patron serve --web-root` serves it.
export default defineConfig({
  plugins: [preact()],
  base: '/',
  build: {
    target: 'es2022',
    modulePreload: { polyfill: false }, // no inline script: the server's CSP allows none
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    // `npm run dev` next to `patron serve --listen 127.0.0.1:8080`.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});

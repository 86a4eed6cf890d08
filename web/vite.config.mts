import { defineConfig } from 'vite';

/**
 * The console: built into web/dist, which the API serves at `/` (same origin, no second server).
 * `npm run console:dev` serves it with hot reload and sends API calls to a running API.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1_500,
    rollupOptions: {
      // React Query marks its modules "use client" for server-component bundlers; meaningless in a SPA.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  oxc: { jsx: { runtime: 'automatic' } },
  server: {
    proxy: Object.fromEntries(
      ['/api', '/openapi.json', '/docs', '/health'].map((p) => [p, process.env.NW_API_URL ?? 'http://127.0.0.1:8002']),
    ),
  },
});

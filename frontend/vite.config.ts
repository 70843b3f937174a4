/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// Dev: `npm run dev` serves the PWA on :3074 and proxies the API (including SSE) to the backend on :8069.
// Build: `npm run build` writes dist/, which the backend serves at /m/… on its own port.
const backend = process.env.BATONPASS_BACKEND ?? "http://127.0.0.1:8069";

export default defineConfig({
  esbuild: { jsx: "automatic" },
  server: {
    host: "127.0.0.1",
    port: 3074,
    strictPort: true,
    proxy: { "/api": { target: backend, changeOrigin: false } },
  },
  preview: { host: "127.0.0.1", port: 3074, strictPort: true },
  build: { outDir: "dist", assetsDir: "assets", sourcemap: false, target: "es2022" },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});

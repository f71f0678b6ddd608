/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";

// The built app is committed under app/web/dist and served by FastAPI at `/` (see app/web/__init__.py).
// Asset names are content hashes and the build is deterministic, so CI can rebuild and diff it.
const outDir = fileURLToPath(new URL("../app/web/dist", import.meta.url));
const api = process.env.DTWIN_API ?? "http://127.0.0.1:7777";

export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    proxy: {
      "/api": { target: api, ws: true, changeOrigin: false },
      "/health": { target: api },
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});

/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run build` writes into the Python package, which serves the page from there:
// `pip install synthera[server]` then needs no Node. `npm run dev` proxies the API to a
// `synthera serve` on port 8000.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "../src/synthera/server/static",
    emptyOutDir: true,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8000",
      "/vendor": "http://127.0.0.1:8000",
    },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test-setup.ts"],
    css: false,
  },
});

// Builds the inspector into dist/, which the orchestrator serves at /ui/. Relative asset paths
// (base "./"), so the app works under any prefix; no external fonts, CDNs or network at run time.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL("./web", import.meta.url)),
  base: "./",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: fileURLToPath(new URL("./dist", import.meta.url)),
    emptyOutDir: true,
    // Mermaid is large by nature; it is loaded once and cached, and only the graph needs it.
    chunkSizeWarningLimit: 4_000,
    reportCompressedSize: false,
  },
  logLevel: "warn",
});

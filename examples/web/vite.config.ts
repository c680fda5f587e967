import { defineConfig } from "vite";

// The example serves from examples/web; every /s/<token> path is the same single page.
export default defineConfig({
  root: __dirname,
  appType: "spa",
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  server: { port: 5173 },
});

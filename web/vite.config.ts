import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const at = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Builds the hosted verification page and the operator console into dist/web, which the
 * service serves (src/server/hosted-pages.ts): page/index.html, console/index.html and their
 * content-hashed files under assets/. Nothing is inlined, so the strict Content-Security-Policy
 * (scripts and styles from this origin only) holds.
 */
export default defineConfig({
  root: at("."),
  base: "/",
  appType: "mpa",
  build: {
    target: "es2022",
    outDir: at("../dist/web"),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: { page: at("page/index.html"), console: at("console/index.html") },
    },
  },
  // `npm run dev:web`: the page and console from Vite at the paths the service uses, the API
  // from a service on port 8080.
  plugins: [
    {
      name: "sessionflow-paths",
      configureServer(server) {
        server.middlewares.use((req, _res, next) => {
          const path = (req.url ?? "").split("?", 1)[0] ?? "";
          if (/^\/s\/[^/]+$/.test(path)) req.url = "/page/index.html";
          else if (path === "/console") req.url = "/console/index.html";
          next();
        });
      },
    },
  ],
  server: {
    port: 5173,
    proxy: { "^/(sessionflow\\.v1\\.|grpc\\.)": "http://localhost:8080" },
  },
});

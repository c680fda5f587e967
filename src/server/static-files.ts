import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { gzipSync } from "node:zlib";

/** One built file, held in memory: the hosted page and the console are a few hundred KiB. */
export interface StaticFile {
  body: Buffer;
  /** The body gzipped once at start, when that makes it smaller (scripts, styles, documents). */
  gzipped?: Buffer;
  contentType: string;
  etag: string;
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

const compressible = /^(text\/|application\/json|image\/svg)/;

/** Files the front ends do not need at run time stay on disk, never served. */
const skipped = new Set([".map"]);

/**
 * Reads a built directory once, at start: every request is then a map lookup, so no URL can
 * reach the file system (no traversal, no symlinks followed at request time). Keys are URL
 * paths ("/assets/page-3f9a.js"). Undefined when the directory does not exist.
 */
export function loadStaticFiles(root: string): Map<string, StaticFile> | undefined {
  if (!existsSync(root) || !statSync(root).isDirectory()) return undefined;
  const files = new Map<string, StaticFile>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && !skipped.has(extname(entry.name))) {
        const body = readFileSync(path);
        const contentType = contentTypes[extname(entry.name)] ?? "application/octet-stream";
        const gzipped = compressible.test(contentType) ? gzipSync(body, { level: 9 }) : undefined;
        const urlPath = "/" + relative(root, path).split(sep).join("/");
        const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
        files.set(urlPath, { body, contentType, etag, ...(gzipped && gzipped.length < body.length ? { gzipped } : {}) });
      }
    }
  };
  walk(root);
  return files;
}

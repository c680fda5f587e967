import { Writable } from "node:stream";
import { issueApiKey, scopes } from "../../src/domain/api-key.js";
import { createManualClock, type ManualClock } from "../../src/domain/clock.js";
import type { Store } from "../../src/domain/store.js";
import { createLogger } from "../../src/logger.js";
import { createApp, type App, type AppOptions } from "../../src/server/app.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";

export interface AuthServer {
  app: App;
  url: string;
  /** The HTTP/2-only port. */
  h2cUrl: string;
  clock: ManualClock;
  store: Store;
  /** An API key of tenant "acme" with every scope (not in the store if `issueKey` was false). */
  key: string;
  /** Every log line the server wrote, parsed. */
  logs(): Record<string, unknown>[];
  /** Every log line the server wrote, as text. */
  logText(): string;
  close(): Promise<void>;
}

export type AuthServerOptions = Partial<Omit<AppOptions, "store" | "logger" | "clock">> & {
  store?: Store;
  clock?: ManualClock;
  /** Issue the "acme" key into the store (true unless false): tests of the configured set bring their own. */
  issueKey?: boolean;
};

/** One app on 127.0.0.1 and an ephemeral port, a manual clock, and its logs captured. */
export async function startAuthServer(opts: AuthServerOptions = {}): Promise<AuthServer> {
  const { store = createMemoryStore(), clock = createManualClock(new Date("2026-03-02T09:00:00Z")), issueKey = true, ...rest } = opts;
  const { secret, key } = issueApiKey("acme", [...scopes], clock.now());
  if (issueKey) await store.apiKeys.insert(key);
  let captured = "";
  const sink = new Writable({
    write(chunk, _enc, cb) {
      captured += String(chunk);
      cb();
    },
  });
  const app = createApp({ store, clock, logger: createLogger("info", sink), sweepIntervalMs: 0, ...rest });
  const { port } = await app.server.listen(0, "127.0.0.1");
  const { port: h2cPort } = await app.h2c.listen(0, "127.0.0.1");
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    h2cUrl: `http://127.0.0.1:${h2cPort}`,
    clock,
    store,
    key: secret,
    logs: () => captured.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
    logText: () => captured,
    close: () => app.shutdown(100),
  };
}

import { issueApiKey, scopes } from "../../src/domain/api-key.js";
import { createLogger } from "../../src/logger.js";
import { createApp, type App } from "../../src/server/app.js";
import type { ConnectionLimits } from "../../src/server/connection-limits.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";

export interface AbuseServer {
  app: App;
  /** The shared port (HTTP/1.1 and HTTP/2) and the HTTP/2-only port. */
  port: number;
  h2cPort: number;
  url: string;
  h2cUrl: string;
  /** An API key of tenant "acme" with every scope. */
  key: string;
  close(): Promise<void>;
}

export interface AbuseServerOptions {
  connections?: Partial<ConnectionLimits>;
  maxHealthWatches?: number;
}

/** Both ports of one app on 127.0.0.1 and ephemeral ports, with the limits under test. */
export async function startAbuseServer(opts: AbuseServerOptions = {}): Promise<AbuseServer> {
  const store = createMemoryStore();
  const { secret, key } = issueApiKey("acme", [...scopes], new Date());
  await store.apiKeys.insert(key);
  const app = createApp({ store, logger: createLogger("silent"), sweepIntervalMs: 0, ...opts });
  const { port } = await app.server.listen(0, "127.0.0.1");
  const { port: h2cPort } = await app.h2c.listen(0, "127.0.0.1");
  return {
    app,
    port,
    h2cPort,
    url: `http://127.0.0.1:${port}`,
    h2cUrl: `http://127.0.0.1:${h2cPort}`,
    key: secret,
    close: () => app.shutdown(100),
  };
}

import { Writable } from "node:stream";
import { issueApiKey, scopes } from "../../src/domain/api-key.js";
import type { Store } from "../../src/domain/store.js";
import { createLogger } from "../../src/logger.js";
import { createApp, type App, type AppOptions } from "../../src/server/app.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";

export interface AbuseServer {
  app: App;
  /** The shared port (HTTP/1.1 and HTTP/2) and the HTTP/2-only port. */
  port: number;
  h2cPort: number;
  url: string;
  h2cUrl: string;
  /** The native gRPC port (@grpc/grpc-js). */
  grpcPort: number;
  grpcUrl: string;
  /** An API key of tenant "acme" with every scope. */
  key: string;
  /** An API key of tenant "globex" with every scope: the other tenant. */
  otherKey: string;
  store: Store;
  /** Every log line, as text; empty unless `logs` was asked for. */
  logs(): string;
  close(): Promise<void>;
}

export interface AbuseServerOptions extends Partial<Omit<AppOptions, "logger">> {
  /** Capture log lines at debug level (silent otherwise). */
  logs?: boolean;
}

/** The three ports of one app on 127.0.0.1 and ephemeral ports, with the limits under test. */
export async function startAbuseServer({ logs = false, ...opts }: AbuseServerOptions = {}): Promise<AbuseServer> {
  const store = opts.store ?? createMemoryStore();
  const issue = async (tenant: string) => {
    const { secret, key } = issueApiKey(tenant, [...scopes], new Date());
    await store.apiKeys.insert(key);
    return secret;
  };
  const [key, otherKey] = [await issue("acme"), await issue("globex")];
  let captured = "";
  const sink = new Writable({
    write(chunk, _enc, cb) {
      captured += String(chunk);
      cb();
    },
  });
  const logger = logs ? createLogger("debug", sink) : createLogger("silent");
  const app = createApp({ logger, sweepIntervalMs: 0, ...opts, store });
  const { port } = await app.server.listen(0, "127.0.0.1");
  const { port: h2cPort } = await app.h2c.listen(0, "127.0.0.1");
  const { port: grpcPort } = await app.grpc.listen(0, "127.0.0.1");
  return {
    app,
    port,
    h2cPort,
    url: `http://127.0.0.1:${port}`,
    h2cUrl: `http://127.0.0.1:${h2cPort}`,
    grpcPort,
    grpcUrl: `http://127.0.0.1:${grpcPort}`,
    key,
    otherKey,
    store,
    logs: () => captured,
    close: () => app.shutdown(100),
  };
}

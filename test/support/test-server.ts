import { Writable } from "node:stream";
import type { Tracer } from "@opentelemetry/api";
import { issueApiKey, scopes, type Scope } from "../../src/domain/api-key.js";
import { createManualClock, type ManualClock } from "../../src/domain/clock.js";
import { createPolicies, defaultLifetimePolicy, type LifetimePolicy } from "../../src/domain/policy.js";
import { createLogger } from "../../src/logger.js";
import { createApp, type App } from "../../src/server/app.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";
import type { Store } from "../../src/domain/store.js";

export interface TestServer {
  baseUrl: string;
  port: number;
  /** The native gRPC port (@grpc/grpc-js), hosting the same services. */
  grpcPort: number;
  grpcUrl: string;
  clock: ManualClock;
  store: Store;
  app: App;
  /** API keys by tenant: "acme" has every scope, "globex" too; "limited" only sessions. */
  keys: Record<"acme" | "globex" | "limited", string>;
  /** Every log line the server wrote, as text. */
  logs(): string;
  close(): Promise<void>;
}

export interface TestServerOptions {
  lifetimes?: Partial<LifetimePolicy>;
  maxRequestBytes?: number;
  heartbeatMs?: number;
  publicBaseUrl?: string;
  /** Spans for every RPC (see test/support/tracing.ts); none when unset. */
  tracer?: Tracer;
  metricsToken?: string;
  /** The built hosted page and console to serve (see AppOptions.webRoot). */
  webRoot?: string;
}

/** A real server on 127.0.0.1 and an ephemeral port, with a manual clock and captured logs. */
export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const clock = createManualClock(new Date("2026-03-02T09:00:00Z"));
  const store = createMemoryStore();
  let captured = "";
  const sink = new Writable({
    write(chunk, _enc, cb) {
      captured += String(chunk);
      cb();
    },
  });
  const issue = async (tenant: string, keyScopes: Scope[]) => {
    const { secret, key } = issueApiKey(tenant, keyScopes, clock.now());
    await store.apiKeys.insert(key);
    return secret;
  };
  const keys = {
    acme: await issue("acme", [...scopes]),
    globex: await issue("globex", [...scopes]),
    limited: await issue("limited", ["sessions"]),
  };
  const app = createApp({
    store,
    clock,
    logger: createLogger("debug", sink),
    policies: createPolicies({ ...defaultLifetimePolicy, ...opts.lifetimes }),
    ...(opts.maxRequestBytes ? { maxRequestBytes: opts.maxRequestBytes } : {}),
    heartbeatMs: opts.heartbeatMs ?? 1000,
    sweepIntervalMs: 0, // tests sweep explicitly with app.sweep()
    ...(opts.publicBaseUrl ? { publicBaseUrl: opts.publicBaseUrl } : {}),
    ...(opts.tracer ? { tracer: opts.tracer } : {}),
    ...(opts.metricsToken ? { metricsToken: opts.metricsToken } : {}),
    ...(opts.webRoot ? { webRoot: opts.webRoot } : {}),
  });
  const address = await app.server.listen(0, "127.0.0.1");
  const native = await app.grpc.listen(0, "127.0.0.1");
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    port: address.port,
    grpcPort: native.port,
    grpcUrl: `http://127.0.0.1:${native.port}`,
    clock,
    store,
    app,
    keys,
    logs: () => captured,
    close: () => app.shutdown(200), // safe to call twice
  };
}

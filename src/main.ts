import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, loadConfig } from "./config.js";
import { systemClock } from "./domain/clock.js";
import { createPolicies } from "./domain/policy.js";
import { createLogger } from "./logger.js";
import { ensureDevelopmentKey, loadApiKeys } from "./server/api-keys.js";
import { createApp } from "./server/app.js";
import { createOtlpTracing } from "./server/telemetry/tracing.js";
import { createMemoryStore } from "./store/memory/memory-store.js";
import { connectMongoStore } from "./store/mongo/connect.js";
import type { Store } from "./domain/store.js";

/** Composition root: config -> logger -> store -> server. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`sessionflow: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);
  const store: Store = config.mongo
    ? await connectMongoStore(config.mongo, logger)
    : createMemoryStore({ sessionRetentionMs: config.retention.sessionMs, eventRetentionMs: config.retention.eventMs });
  const removed = await loadApiKeys(store, config.apiKeys, systemClock.now());
  if (removed > 0) logger.warn({ removed }, "removed API keys that are no longer configured");
  const devKey = config.mongo ? undefined : await ensureDevelopmentKey(store, systemClock.now());
  if (devKey) {
    // Printed once, straight to the terminal and never through the logger, which must not see secrets.
    process.stderr.write(
      `\nNo API keys configured: created development tenant "dev" with every scope.\n` +
        `Its API key (shown once, not stored):\n\n  ${devKey.secret}\n\n`,
    );
  }

  const tracing = config.tracing ? createOtlpTracing(logger) : undefined;
  const webRoot = builtWebRoot();
  if (!existsSync(webRoot)) logger.warn("the hosted page and console are not built; run `npm run build:web` to serve them");
  const app = createApp({
    store,
    logger,
    metrics: config.metrics.enabled,
    ...(config.metrics.token ? { metricsToken: config.metrics.token } : {}),
    ...(tracing ? { tracer: tracing.tracer } : {}),
    policies: createPolicies(config.lifetimes, config.workflowLifetimes),
    corsOrigins: config.corsOrigins,
    maxRequestBytes: config.maxRequestBytes,
    heartbeatMs: config.heartbeatMs,
    sweepIntervalMs: config.sweepIntervalMs,
    maxStreamsPerTenant: config.maxStreamsPerTenant,
    maxClientStreamsPerTenant: config.maxClientStreamsPerTenant,
    maxClientStreamsPerSession: config.maxClientStreamsPerSession,
    streamMessages: config.streamMessages,
    maxQueuedEvents: config.maxQueuedEvents,
    analyzerTimeoutMs: config.analyzerTimeoutMs,
    warnThreshold: config.warnThreshold,
    disposableDomains: config.disposableDomains,
    publicBaseUrl: config.publicBaseUrl,
    ...(config.tokenSecret ? { tokenSecret: config.tokenSecret } : {}),
    previousTokenSecrets: config.previousTokenSecrets,
    clientTokenTtlSeconds: config.clientTokenTtlSeconds,
    connections: config.connections,
    maxHealthWatches: config.maxHealthWatches,
    auth: config.auth,
    callLimits: config.callLimits,
    webRoot,
  });
  const address = await app.server.listen(config.port, config.host);
  if (config.h2cPort !== undefined) {
    const h2c = await app.h2c.listen(config.h2cPort, config.host);
    logger.info({ port: h2c.port }, "HTTP/2-only port listening");
  }
  if (config.grpcPort !== undefined) {
    const grpc = await app.grpc.listen(config.grpcPort, config.host);
    logger.info({ port: grpc.port }, "native gRPC port listening");
  }
  logger.info(
    { port: address.port, host: address.address, store: config.mongo ? "mongodb" : "memory", metrics: config.metrics.enabled, tracing: config.tracing },
    "sessionflow listening",
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    await app.shutdown(config.shutdownGraceMs);
    // Spans still buffered are exported before the process goes.
    await tracing?.shutdown().catch((err: unknown) => logger.warn({ err }, "trace export failed at shutdown"));
    await store.close();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/**
 * Where `npm run build:web` puts the page and the console: dist/web under the package root,
 * which is one level above src/main.ts (tsx) and two above dist/src/main.js (compiled).
 */
function builtWebRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const packageRoot = existsSync(join(here, "..", "package.json")) ? join(here, "..") : join(here, "..", "..");
  return join(packageRoot, "dist", "web");
}

main().catch((e: unknown) => {
  process.stderr.write(`sessionflow: failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

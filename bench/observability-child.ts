import { issueApiKey, scopes } from "../src/domain/api-key.js";
import { createLogger } from "../src/logger.js";
import { createApp } from "../src/server/app.js";
import { createOtlpTracing } from "../src/server/telemetry/tracing.js";
import { createMemoryStore } from "../src/store/memory/memory-store.js";

/**
 * Sessionflow on the embedded store, with Prometheus metrics and OTLP tracing both "on" (spans
 * batched and exported to OTEL_EXPORTER_OTLP_ENDPOINT, which the parent points at its sink) or
 * both "off". Run in its own process so the two servers share nothing; talks over IPC.
 */
const on = process.argv[2] === "on";
/** One tenant drives the benchmark, so its budget must not be what is measured. */
const unlimited = { ratePerSecond: 1_000_000, burst: 1_000_000, maxCalls: 100_000 };

const store = createMemoryStore();
const { secret, key } = issueApiKey("bench", [...scopes], new Date());
await store.apiKeys.insert(key);
const tracing = on ? createOtlpTracing() : undefined;
const app = createApp({
  store,
  logger: createLogger("silent"),
  sweepIntervalMs: 0,
  callLimits: { tenant: unlimited, maxCalls: 100_000 },
  metrics: on,
  ...(tracing ? { tracer: tracing.tracer } : {}),
});
const address = await app.server.listen(0, "127.0.0.1");
process.on("message", (msg: { cmd: string }) => {
  if (msg.cmd === "flush") {
    void (tracing?.shutdown() ?? Promise.resolve()).then(() => process.send!({ cmd: "flush" }));
  } else if (msg.cmd === "exit") {
    process.exit(0);
  }
});
process.send!({ cmd: "ready", port: address.port, key: secret });

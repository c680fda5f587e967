import { issueApiKey, scopes } from "../src/domain/api-key.js";
import { createLogger } from "../src/logger.js";
import { createApp } from "../src/server/app.js";
import { createOtlpTracing } from "../src/server/telemetry/tracing.js";
import { createMemoryStore } from "../src/store/memory/memory-store.js";

/**
 * Sessionflow on the embedded store, with Prometheus metrics and OTLP tracing both "on" (spans
 * batched and exported to OTEL_EXPORTER_OTLP_ENDPOINT, which the parent points at its sink),
 * both "off", or only "metrics" or "tracing". Run in its own process so the two servers share nothing; talks over IPC.
 */
const mode = process.argv[2] ?? "off";
const metrics = mode === "on" || mode === "metrics";
const traced = mode === "on" || mode === "tracing";
/** One tenant drives the benchmark, so its budget must not be what is measured. */
const unlimited = { ratePerSecond: 1_000_000, burst: 1_000_000, maxCalls: 100_000 };

const store = createMemoryStore();
const { secret, key } = issueApiKey("bench", [...scopes], new Date());
await store.apiKeys.insert(key);
const tracing = traced ? createOtlpTracing(createLogger("warn")) : undefined;
const app = createApp({
  store,
  logger: createLogger("silent"),
  sweepIntervalMs: 0,
  callLimits: { tenant: unlimited, maxCalls: 100_000 },
  metrics,
  ...(tracing ? { tracer: tracing.tracer } : {}),
});
const address = await app.server.listen(0, "127.0.0.1");
// CPU time is what the instrumentation costs; unlike latency it hardly depends on what else the machine runs.
let mark = process.cpuUsage();
process.on("message", (msg: { cmd: string }) => {
  if (msg.cmd === "mark") {
    mark = process.cpuUsage();
    process.send!({ cmd: "mark" });
  } else if (msg.cmd === "flush") {
    // The spans still batched are exported first: their export is part of the cost.
    void (tracing?.shutdown() ?? Promise.resolve()).then(() => {
      const used = process.cpuUsage(mark);
      process.send!({ cmd: "flush", cpuMs: (used.user + used.system) / 1000 });
    });
  } else if (msg.cmd === "exit") {
    process.exit(0);
  }
});
process.send!({ cmd: "ready", port: address.port, key: secret });

import { Session } from "node:inspector/promises";
import { writeFileSync } from "node:fs";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { loadConfig } from "../src/config.js";
import { issueApiKey, scopes } from "../src/domain/api-key.js";
import { sessionLimits } from "../src/domain/limits.js";
import { createLogger } from "../src/logger.js";
import { createApp } from "../src/server/app.js";
import { createMemoryStore } from "../src/store/memory/memory-store.js";
import { crowd } from "../test/support/crowd.js";
import { createDomainHarness } from "../test/support/domain-harness.js";

/**
 * The noisy-tenant benchmark's server, in its own process: Sessionflow on the embedded store
 * with the limits the SESSIONFLOW_* variables set (the defaults when unset), tenant "noisy" holding a crowd of small
 * sessions and a few of the largest sessions the service accepts, and tenant "quiet".
 * Reports its own event-loop delay over IPC. Usage: noisy-server.ts <crowd> <large>
 */
const crowdSize = Number(process.argv[2] ?? 50_000);
const largeCount = Number(process.argv[3] ?? 10);

const store = createMemoryStore();
const keyOf = async (tenant: string) => {
  const { secret, key } = issueApiKey(tenant, [...scopes], new Date());
  await store.apiKeys.insert(key);
  return secret;
};
const keys = { noisy: await keyOf("noisy"), quiet: await keyOf("quiet") };
await crowd(store, "noisy", crowdSize);
// The largest sessions: every submission at its cap and every value at its largest (about 2 MiB each).
const wide = (n: number) => "語".repeat(n);
const large = {
  tenantId: "noisy",
  workflow: "archive",
  identity: { fullName: wide(200), email: `${wide(249)}@x.io`, address: { lines: Array.from({ length: 5 }, () => wide(200)), locality: wide(100), administrativeArea: wide(100), postalCode: wide(20), regionCode: "GB" } },
  device: { deviceId: wide(128), userAgent: wide(512), automationFlags: Array.from({ length: 16 }, () => wide(64)) },
};
const h = createDomainHarness(store);
for (let n = 0; n < largeCount; n++) {
  const { session } = await h.sessions.submit(h.submit(large));
  for (let i = 1; i < sessionLimits.submissions; i++) await h.sessions.submit(h.submit({ ...large, sessionId: session.id, step: `s${i}` }));
}

// The limits production would run with, from the same SESSIONFLOW_* variables (defaults when unset).
const config = loadConfig(process.env);
const app = createApp({
  store,
  logger: createLogger("silent"),
  sweepIntervalMs: 0,
  callLimits: config.callLimits,
  maxStreamsPerTenant: config.maxStreamsPerTenant,
  maxClientStreamsPerTenant: config.maxClientStreamsPerTenant,
  maxClientStreamsPerSession: config.maxClientStreamsPerSession,
  streamMessages: config.streamMessages,
});
const { port } = await app.server.listen(0, "127.0.0.1");
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
// Garbage collection pauses, reported apart: they hold the loop as surely as work does.
let gc = { max: 0, total: 0 };
// CPU the server used against time passed: near 100% means its one event loop was saturated.
let cpuFrom = { usage: process.cpuUsage(), at: performance.now() };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gc = { max: Math.max(gc.max, e.duration), total: gc.total + e.duration };
}).observe({ entryTypes: ["gc"] });
const inspector = new Session(); inspector.connect(); let delays = 0;
process.on("message", (msg: { cmd: string }) => {
  if (msg.cmd === "delay") {
    delays++;
    if (delays === 3) void (async () => { await inspector.post("Profiler.enable"); await inspector.post("Profiler.setSamplingInterval", { interval: 250 }); await inspector.post("Profiler.start"); })();
    const used = process.cpuUsage(cpuFrom.usage);
    const cpu = (used.user + used.system) / 1000 / (performance.now() - cpuFrom.at);
    process.send!({ cmd: "delay", p99: delay.percentile(99) / 1e6, max: delay.max / 1e6, gc, cpu });
    delay.reset();
    gc = { max: 0, total: 0 };
    cpuFrom = { usage: process.cpuUsage(), at: performance.now() };
  } else if (msg.cmd === "streams") {
    process.send!({ cmd: "streams", streams: app.openStreams() });
  } else if (msg.cmd === "exit") {
    void (async () => { const { profile } = await inspector.post("Profiler.stop"); writeFileSync("/tmp/noisy.cpuprofile", JSON.stringify(profile)); process.exit(0); })();
  }
});
process.send!({ cmd: "ready", port, keys });

import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { issueApiKey, scopes } from "../src/domain/api-key.js";
import { createLogger } from "../src/logger.js";
import { createApp } from "../src/server/app.js";
import { createH2cServer } from "../src/server/h2c-port.js";
import { createOnePortServer } from "../src/server/one-port.js";
import { createMemoryStore } from "../src/store/memory/memory-store.js";
import { EventService, WatchEventsResponseSchema } from "../gen/sessionflow/v1/event_service_pb.js";
import { LifecycleEventType } from "../gen/sessionflow/v1/event_pb.js";
import { SubmissionService } from "../gen/sessionflow/v1/submission_service_pb.js";

/** The fan-out benchmark holds up to 1,250 streams on each of its 8 connections. */
const benchLimits = { maxConcurrentStreams: 2_000 };
/** One tenant drives each throughput benchmark, so its budget must not be what is measured. */
const unlimited = { ratePerSecond: 1_000_000, burst: 1_000_000, maxCalls: 100_000 };
import { Disposition, SessionSchema, SessionState } from "../gen/sessionflow/v1/session_pb.js";

/**
 * A benchmark target, run in its own process so its memory is its own: "real" is Sessionflow
 * on the embedded store; "noop" serves the same RPCs on the same transport with no logic at all,
 * which is the ceiling the real server is compared with. Talks to the parent over IPC.
 */
const mode = process.argv[2] === "noop" ? "noop" : "real";
process.on("warning", (w) => {
  if (w.name === "MaxListenersExceededWarning") console.error(`${mode}: ${w.message}\n${w.stack}`);
});

async function startReal() {
  const store = createMemoryStore();
  const { secret, key } = issueApiKey("bench", [...scopes], new Date());
  await store.apiKeys.insert(key);
  const app = createApp({ store, logger: createLogger("silent"), heartbeatMs: 60_000, sweepIntervalMs: 0, maxStreamsPerTenant: 100_000, maxQueuedEvents: 10_000, connections: benchLimits, callLimits: { tenant: unlimited, maxCalls: 100_000 }, streamMessages: { ratePerSecond: 10_000_000, burst: 10_000_000 } });
  const address = await app.server.listen(0, "127.0.0.1");
  const h2c = await app.h2c.listen(0, "127.0.0.1");
  return { port: address.port, h2cPort: h2c.port, key: secret, streams: () => app.openStreams() };
}

async function startNoop() {
  let open = 0;
  const waiters = new Set<() => void>();
  let sent = 0;
  const routes = (router: ConnectRouter) => {
    router.service(SubmissionService, {
      submit() {
        sent++;
        for (const wake of waiters) wake();
        return { session: create(SessionSchema, { id: "0197f665-6c88-7512-bc33-a7605d487377", state: SessionState.OPEN }), disposition: Disposition.CREATED };
      },
    });
    router.service(EventService, {
      async *watchSession() {},
      async *watchEvents(_req, ctx) {
        open++;
        let seen = sent;
        try {
          while (!ctx.signal.aborted) {
            if (seen < sent) {
              seen++;
              yield create(WatchEventsResponseSchema, {
                kind: { case: "event", value: { sessionId: "0197f665-6c88-7512-bc33-a7605d487377", type: LifecycleEventType.OPENED, eventTime: timestampFromDate(new Date()) } },
              });
              continue;
            }
            await new Promise<void>((resolve) => {
              const wake = () => {
                waiters.delete(wake);
                ctx.signal.removeEventListener("abort", wake);
                resolve();
              };
              waiters.add(wake);
              ctx.signal.addEventListener("abort", wake, { once: true });
            });
          }
        } finally {
          open--;
        }
      },
    });
  };
  const handler = connectNodeAdapter({ routes });
  const address = await createOnePortServer(handler, { limits: benchLimits }).listen(0, "127.0.0.1");
  const h2c = await createH2cServer(handler, { limits: benchLimits }).listen(0, "127.0.0.1");
  return { port: address.port, h2cPort: h2c.port, key: "noop", streams: () => open };
}

const target = mode === "noop" ? await startNoop() : await startReal();
process.on("message", (msg: { cmd: string }) => {
  if (msg.cmd === "memory") {
    globalThis.gc?.();
    globalThis.gc?.();
    const m = process.memoryUsage();
    process.send!({ cmd: "memory", heapUsed: m.heapUsed, external: m.external, rss: m.rss });
  } else if (msg.cmd === "streams") {
    process.send!({ cmd: "streams", streams: target.streams() });
  } else if (msg.cmd === "exit") {
    process.exit(0);
  }
});
process.send!({ cmd: "ready", port: target.port, h2cPort: target.h2cPort, key: target.key });

import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { EventService } from "../../gen/sessionflow/v1/event_service_pb.js";
import { describe, expect, it } from "vitest";
import { issueApiKey, scopes } from "../../src/domain/api-key.js";
import type { Analyzer } from "../../src/domain/analyzers.js";
import { createLogger } from "../../src/logger.js";
import { createApp } from "../../src/server/app.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";
import { bearer } from "../support/clients.js";
import { createGrpcTransport } from "@connectrpc/connect-node";

describe("graceful shutdown", () => {
  it("finishes calls in flight, refuses new connections, and reports not serving", async () => {
    const store = createMemoryStore();
    const { secret, key } = issueApiKey("acme", [...scopes], new Date());
    await store.apiKeys.insert(key);
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => (started = resolve));
    const slow: Analyzer = {
      name: "slow",
      analyze: async () => {
        started();
        await new Promise((r) => setTimeout(r, 300));
        return { risk: 0, reasonCodes: [] };
      },
    };
    const app = createApp({ store, logger: createLogger("silent"), analyzers: [slow], sweepIntervalMs: 0 });
    const { port } = await app.server.listen(0, "127.0.0.1");
    const client = createClient(SubmissionService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}`, interceptors: [bearer(secret)] }));

    const call = client.submit({ workflow: "kyc", complete: true });
    await inFlight;
    const stopping = app.shutdown(5_000);
    expect(app.health.get("")).toBe(2); // NOT_SERVING as soon as shutdown starts
    const res = await call;
    expect(res.session!.analyses.map((a) => a.analyzer)).toEqual(["slow"]);
    await stopping;
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    expect(await store.sessions.list("acme", { limit: 10 })).toHaveLength(1);
  });

  it("ends open streams with UNAVAILABLE, SHUTTING_DOWN, the cursor to resume from and a RetryInfo", async () => {
    const store = createMemoryStore();
    const { secret, key } = issueApiKey("acme", [...scopes], new Date());
    await store.apiKeys.insert(key);
    const app = createApp({ store, logger: createLogger("silent"), sweepIntervalMs: 0, heartbeatMs: 20 });
    const { port } = await app.server.listen(0, "127.0.0.1");
    const events = createClient(EventService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}`, interceptors: [bearer(secret)] }));
    const stream = events.watchEvents({ fromBeginning: true })[Symbol.asyncIterator]();
    await stream.next(); // a heartbeat: the stream is open
    const stopping = app.shutdown(1_000);
    let error: ConnectError | undefined;
    try {
      while (!(await stream.next()).done) {
        // heartbeats until the server drains
      }
    } catch (e) {
      error = ConnectError.from(e);
    }
    await stopping;
    expect(error?.code).toBe(Code.Unavailable);
    expect(error?.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: "SHUTTING_DOWN", metadata: { resume_cursor: expect.any(String) } });
    expect(error?.findDetails(RetryInfoSchema)[0]?.retryDelay).toBeDefined();
  });
});

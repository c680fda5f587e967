import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/domain/store.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";
import { bearer, transportFor } from "../support/clients.js";
import { startAbuseServer, type AbuseServer } from "./abuse-server.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A memory store whose configuration read takes `slowMs`, recording every call a Submit makes after it. */
function slowStore(slowMs: number) {
  const base = createMemoryStore();
  const calls: string[] = [];
  let slowCalls = 0;
  const store: Store = {
    ...base,
    configurations: {
      ...base.configurations,
      async current(tenantId) {
        calls.push("configurations.current");
        slowCalls++;
        await sleep(slowMs);
        slowCalls--;
        return base.configurations.current(tenantId);
      },
    },
    identity: { ...base.identity, findByKeys: (...args) => (calls.push("identity.findByKeys"), base.identity.findByKeys(...args)) },
    sessions: { ...base.sessions, insert: (session) => (calls.push("sessions.insert"), base.sessions.insert(session)) },
  };
  return { store, base, calls, idle: () => slowCalls === 0 };
}

describe("a call's deadline", () => {
  let server: AbuseServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each(["grpc-h2", "connect-json-h1", "native-grpc"] as const)("stops the handler at its next store call once it has passed, over %s: no later read or write is made", async (protocol) => {
    const { store, base, calls, idle } = slowStore(300);
    server = await startAbuseServer({ store, logs: true });
    const client = createClient(SubmissionService, transportFor(protocol, protocol === "native-grpc" ? server.grpcUrl : server.url, server.key));

    const refused = await client
      .submit({ workflow: "kyc", identity: { fullName: "Alice Liddell", email: "alice@example.com" } }, { timeoutMs: 50 })
      .then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(refused?.code).toBe(Code.DeadlineExceeded);

    // The slow read ends at 300 ms; whatever the handler did next has happened a little later.
    await expect.poll(idle, { timeout: 2_000 }).toBe(true);
    await sleep(100);
    expect(calls).toEqual(["configurations.current"]);
    expect(await base.sessions.list("acme", { limit: 10 })).toEqual([]);
    // The log line is written when the handler unwinds, which on a loaded machine may be later still.
    await expect.poll(() => server!.logs(), { timeout: 2_000 }).toMatch(/"code":"DeadlineExceeded"/);
  });

  it("leaves calls that finish in time alone", async () => {
    const { store, calls } = slowStore(20);
    server = await startAbuseServer({ store });
    const client = createClient(SubmissionService, createGrpcTransport({ baseUrl: server.url, interceptors: [bearer(server.key)] }));
    const res = await client.submit({ workflow: "kyc", identity: { email: "alice@example.com" } }, { timeoutMs: 2_000 });
    expect(res.session?.id).toBeTruthy();
    expect(calls).toEqual(["configurations.current", "identity.findByKeys", "sessions.insert"]);
  });
});

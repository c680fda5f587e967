import { describe, expect, it } from "vitest";
import { builtInAnalyzers } from "../../src/domain/analyzers.js";
import { createManualClock } from "../../src/domain/clock.js";
import { createUuidV7Generator } from "../../src/domain/ids.js";
import { createPolicies } from "../../src/domain/policy.js";
import { createSessionUseCases } from "../../src/domain/sessions.js";
import { indexDeclarations } from "../../src/store/mongo/indexes.js";
import { createMongoStore } from "../../src/store/mongo/mongo-store.js";
import { createFakeCollection } from "../support/mingo-collection.js";

/**
 * SPEC §8: one MongoDB round trip per mutating RPC on the hot path. The store runs on counting
 * stand-ins of the driver's collections, with the change-stream feed (a replica set), where the
 * write itself is the only command: the stream, not the writer, materializes the events.
 */
describe("MongoDB commands per RPC", () => {
  const declared = indexDeclarations({ eventRetentionSeconds: 3600 });
  /** Fakes sharing one command log, so commands across collections stay in order. */
  const database = (log: string[] = []) => ({
    log,
    sessions: createFakeCollection(declared.filter((i) => i.collection === "sessions"), log),
    events: createFakeCollection([], log),
    apiKeys: createFakeCollection([], log),
    identityLinks: createFakeCollection([], log),
    configurations: createFakeCollection(declared.filter((i) => i.collection === "configurations"), log),
  });
  /** One replica of the service over a database that replicas may share. */
  function setup(fakes = database()) {
    const store = createMongoStore({
      collections: {
        sessions: fakes.sessions.collection,
        events: fakes.events.collection,
        apiKeys: fakes.apiKeys.collection,
        identityLinks: fakes.identityLinks.collection,
        configurations: fakes.configurations.collection,
      },
      ping: async () => {},
      isReplicaSet: async () => true,
      feedMode: "change-stream",
    });
    const clock = createManualClock();
    const sessions = createSessionUseCases({
      store,
      clock,
      ids: createUuidV7Generator(() => clock.now().getTime()),
      policies: createPolicies(),
      analysis: { analyzers: builtInAnalyzers, timeoutMs: 1000 },
    });
    const commands = () => fakes.log;
    const measure = async (fn: () => Promise<unknown>) => {
      const before = commands().length;
      await fn();
      return commands().slice(before);
    };
    return { sessions, measure, fakes };
  }
  const ctx = (n: number) => ({ tenantId: "acme", principal: "key:k", procedure: "/p", requestId: `00000000-0000-4000-8000-00000000000${n}`, clientRequestId: true });
  const submit = (sessionId?: string, extra = {}) => ({
    tenantId: "acme",
    principal: "key:k",
    procedure: "/sessionflow.v1.SubmissionService/Submit",
    ...(sessionId ? { sessionId } : {}),
    workflow: "bank-signup",
    market: "",
    requestId: crypto.randomUUID(),
    clientRequestId: true,
    identity: { fullName: "Alice" },
    step: "",
    complete: false,
    ...extra,
  });

  it("costs one insert to create a session and one replace to continue it", async () => {
    const { sessions, measure } = setup();
    let id = "";
    // The first call of a tenant also reads its thresholds configuration (then cached for 2 s).
    expect(await measure(async () => (id = (await sessions.submit(submit())).session.id))).toEqual(["find", "insertOne"]);
    expect(await measure(() => sessions.submit(submit(id)))).toEqual(["replaceOne"]);
    expect(await measure(() => sessions.submit(submit(id, { device: { automationFlags: ["webdriver"] }, complete: true })))).toEqual(["replaceOne"]);
  });

  it("adds one identity-graph read when the submission carries an email, phone, device or address", async () => {
    const { sessions, measure } = setup();
    const { session } = await sessions.submit(submit());
    expect(await measure(() => sessions.submit(submit(session.id, { identity: { email: "alice@example.com" } })))).toEqual(["find", "replaceOne"]);
  });

  it("costs one replace per acknowledgement", async () => {
    const { sessions, measure } = setup();
    const started = await sessions.submit(submit(undefined, { identity: { email: "a@mailinator.com" }, device: { automationFlags: ["webdriver"] }, complete: true }));
    expect(started.session.state).toBe("WARNING");
    expect(await measure(() => sessions.acknowledge(ctx(1), started.session.id, "ws1", "PROCEED"))).toEqual(["replaceOne"]);
    expect(await measure(() => sessions.acknowledge(ctx(2), started.session.id, "ws2", "PROCEED"))).toEqual(["replaceOne"]);
  });

  it("pays a read only when another replica moved the session on", async () => {
    const a = setup();
    const b = setup(a.fakes);
    const { session } = await a.sessions.submit(submit());
    // A replica that never saw the session reads it once (and, new to the tenant, its configuration), then writes.
    expect(await b.measure(() => b.sessions.submit(submit(session.id)))).toEqual(["findOne", "find", "replaceOne"]);
    // The first replica's copy is now stale: its write misses, it re-reads, and writes again.
    expect(await a.measure(() => a.sessions.submit(submit(session.id)))).toEqual(["replaceOne", "findOne", "replaceOne"]);
    expect(await a.measure(() => a.sessions.submit(submit(session.id)))).toEqual(["replaceOne"]);
  });
});

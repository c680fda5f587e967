import { describe, expect, it } from "vitest";
import { builtInAnalyzers } from "../../src/domain/analyzers.js";
import { createManualClock } from "../../src/domain/clock.js";
import { createUuidV7Generator } from "../../src/domain/ids.js";
import { createPolicies } from "../../src/domain/policy.js";
import { createSessionUseCases } from "../../src/domain/sessions.js";
import type { FakeMongo } from "../support/fake-mongo/index.js";
import { createFakeDatabase, startFakeReplica } from "../support/fake-replicas.js";

/**
 * SPEC §8: one MongoDB round trip per mutating RPC on the hot path. The store runs on the fake
 * replica set, which counts every command; the change stream's own work (materializing events,
 * saving its checkpoint) is off the request path and left out.
 */
describe("MongoDB commands per RPC", () => {
  const onRequestPath = (command: string) => !/^(events|feedState)\./.test(command);
  /** One replica of the service over a database that replicas may share. */
  async function setup(fake: FakeMongo = createFakeDatabase()) {
    const store = await startFakeReplica(fake);
    const clock = createManualClock();
    const sessions = createSessionUseCases({
      store,
      clock,
      ids: createUuidV7Generator(() => clock.now().getTime()),
      policies: createPolicies(),
      analysis: { analyzers: builtInAnalyzers, timeoutMs: 1000 },
    });
    const measure = async (fn: () => Promise<unknown>) => {
      const before = fake.commands.length;
      await fn();
      return fake.commands.slice(before).filter(onRequestPath);
    };
    return { sessions, measure, fake, store };
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

  it("costs one insert to create a session and one update to continue it", async () => {
    const { sessions, measure } = await setup();
    let id = "";
    // The first call of a tenant also reads its thresholds configuration (then cached for 2 s).
    expect(await measure(async () => (id = (await sessions.submit(submit())).session.id))).toEqual(["configurations.find", "sessions.insertOne"]);
    expect(await measure(() => sessions.submit(submit(id)))).toEqual(["sessions.updateOne"]);
    expect(await measure(() => sessions.submit(submit(id, { device: { automationFlags: ["webdriver"] }, complete: true })))).toEqual(["sessions.updateOne"]);
  });

  it("adds one identity-graph read when the submission carries an email, phone, device or address", async () => {
    const { sessions, measure } = await setup();
    const { session } = await sessions.submit(submit());
    expect(await measure(() => sessions.submit(submit(session.id, { identity: { email: "alice@example.com" } })))).toEqual(["identityLinks.find", "sessions.updateOne"]);
  });

  it("costs one replace per acknowledgement", async () => {
    const { sessions, measure } = await setup();
    const started = await sessions.submit(submit(undefined, { identity: { email: "a@mailinator.com" }, device: { automationFlags: ["webdriver"] }, complete: true }));
    expect(started.session.state).toBe("WARNING");
    expect(await measure(() => sessions.acknowledge(ctx(1), started.session.id, "ws1", "PROCEED"))).toEqual(["sessions.updateOne"]);
    expect(await measure(() => sessions.acknowledge(ctx(2), started.session.id, "ws2", "PROCEED"))).toEqual(["sessions.updateOne"]);
  });

  it("pays a read only when another replica moved the session on", async () => {
    const a = await setup();
    const b = await setup(a.fake);
    const { session } = await a.sessions.submit(submit());
    // A replica that never saw the session reads it once (and, new to the tenant, its configuration), then writes.
    expect(await b.measure(() => b.sessions.submit(submit(session.id)))).toEqual(["sessions.findOne", "configurations.find", "sessions.updateOne"]);
    // The first replica's copy is now stale: its write misses, it re-reads, and writes again.
    expect(await a.measure(() => a.sessions.submit(submit(session.id)))).toEqual(["sessions.updateOne", "sessions.findOne", "sessions.updateOne"]);
    expect(await a.measure(() => a.sessions.submit(submit(session.id)))).toEqual(["sessions.updateOne"]);
  });

  it("never refuses a valid call because of a stale cached copy: the refusal is checked on a fresh read", async () => {
    const a = await setup();
    const b = await setup(a.fake);
    const risky = { identity: { email: "a@mailinator.com" }, device: { automationFlags: ["webdriver"] }, complete: true };
    const { session } = await a.sessions.submit(submit(undefined, risky)); // replica A caches it with two screens
    expect(session.warningScreens.map((s) => s.status)).toEqual(["PRESENTED", "PENDING"]);
    await b.sessions.acknowledge(ctx(1), session.id, "ws1", "PROCEED"); // replica B moves it on
    // A's copy still shows ws1 presented; acknowledging ws2 is valid now and must succeed.
    const commands = await a.measure(async () => {
      const result = await a.sessions.acknowledge(ctx(2), session.id, "ws2", "PROCEED");
      expect(result.session.state).toBe("RESOLVED");
    });
    expect(commands).toEqual(["sessions.findOne", "sessions.updateOne"]);
    // A refusal that a fresh read confirms still reaches the caller.
    await expect(a.sessions.acknowledge(ctx(3), session.id, "ws2", "CANCEL")).rejects.toMatchObject({ reason: "SESSION_CLOSED" });
  });

  it("sends bytes in proportion to the change, not to the session's history", async () => {
    const { sessions, fake } = await setup();
    const identity = { fullName: "Alice Liddell", email: "alice@example.com" };
    const { session } = await sessions.submit(submit(undefined, { identity }));
    const sent = async () => {
      fake.resetCounters();
      await sessions.submit(submit(session.id, { identity, step: "s" }));
      return fake.bytesSent;
    };
    const early = await sent();
    for (let i = 0; i < 150; i++) await sessions.submit(submit(session.id, { identity }));
    const late = await sent();
    expect(late).toBeLessThan(early * 1.2);
  });

  it("reads summaries for a BASIC listing: bytes in proportion to the sessions listed, not to their histories", async () => {
    const { sessions, fake, store } = await setup();
    const identity = { fullName: "Alice Liddell", email: "alice@example.com" };
    const { session } = await sessions.submit(submit(undefined, { identity }));
    const received = async (summary: boolean) => {
      fake.resetCounters();
      const [listed] = await store.sessions.list("acme", { limit: 2, summary });
      expect(listed!.id).toBe(session.id);
      return fake.bytesReceived;
    };
    const early = await received(true);
    for (let i = 0; i < 150; i++) await sessions.submit(submit(session.id, { identity, step: `s${i}` }));
    const whole = await received(false);
    const late = await received(true);
    expect(whole).toBeGreaterThan(early * 20);
    expect(late).toBeLessThan(early * 1.5);
  });

  it("computes GetMetrics in one aggregate command, whatever the filters and interval", async () => {
    const { sessions, measure, store } = await setup();
    await sessions.submit(submit());
    const query = { start: new Date(0), end: new Date(Date.UTC(2030, 0, 1)), now: new Date(), interval: "HOUR" as const };
    expect(await measure(() => store.sessions.tallyMetrics("acme", query))).toEqual(["sessions.aggregate"]);
    expect(await measure(() => store.sessions.tallyMetrics("acme", { ...query, interval: "DAY", workflow: "bank-signup", market: "GB" }))).toEqual(["sessions.aggregate"]);
  });
});

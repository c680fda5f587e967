import { beforeEach, describe, expect, it } from "vitest";
import { builtInAnalyzers } from "../../src/domain/analyzers.js";
import { createManualClock, type ManualClock } from "../../src/domain/clock.js";
import { createUuidV7Generator } from "../../src/domain/ids.js";
import { createPolicies } from "../../src/domain/policy.js";
import { createSessionUseCases, type SessionUseCases } from "../../src/domain/sessions.js";
import type { SubmitCommand } from "../../src/domain/stitching.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";
import type { Store } from "../../src/domain/store.js";

type Input = Omit<SubmitCommand, "fingerprint">;

describe("session use cases", () => {
  let clock: ManualClock;
  let store: Store;
  let sessions: SessionUseCases;
  let n = 0;
  const cmd = (overrides: Partial<Input> = {}): Input => ({
    tenantId: "acme",
    principal: "key:k",
    procedure: "/sessionflow.v1.SubmissionService/Submit",
    workflow: "bank-signup",
    market: "",
    requestId: `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`,
    clientRequestId: true,
    identity: { fullName: "Alice" },
    step: "",
    complete: false,
    ...overrides,
  });
  const billable = async (tenantId = "acme") =>
    store.sessions.listBillableEvents(tenantId, { start: new Date(0), end: new Date(Date.UTC(2100, 0, 1)), limit: 1000 });

  beforeEach(() => {
    clock = createManualClock();
    store = createMemoryStore();
    sessions = createSessionUseCases({
      store,
      clock,
      ids: createUuidV7Generator(() => clock.now().getTime()),
      policies: createPolicies({ submissionSeconds: 30, linkSeconds: 60, transferSeconds: 60 }),
      analysis: { analyzers: builtInAnalyzers, timeoutMs: 1000 },
    });
  });

  it("uses the workflow's policy, measured from creation and not from last activity", async () => {
    const first = await sessions.submit(cmd());
    clock.advance(29_000);
    expect((await sessions.submit(cmd({ sessionId: first.session.id }))).disposition).toBe("CONTINUED");
    clock.advance(1_000);
    expect((await sessions.submit(cmd({ sessionId: first.session.id }))).disposition).toBe("REPLACED_EXPIRED");
  });

  it("creates exactly one replacement and one billable event under concurrent submits with one expired id", async () => {
    const first = await sessions.submit(cmd());
    clock.advance(60_000);
    const results = await Promise.all(Array.from({ length: 25 }, () => sessions.submit(cmd({ sessionId: first.session.id }))));
    const created = results.filter((r) => r.disposition === "REPLACED_EXPIRED");
    expect(created).toHaveLength(1);
    expect(results.filter((r) => r.disposition === "CONTINUED")).toHaveLength(24);
    expect(new Set(results.map((r) => r.session.id))).toEqual(new Set([created[0]!.session.id]));
    expect(await billable()).toHaveLength(2);
    const replacement = await sessions.get("acme", created[0]!.session.id);
    expect(replacement.session.submissions).toHaveLength(25);
    expect(replacement.session.replaces).toBe(first.session.id);
  });

  it("loses no write under concurrent submits to one session", async () => {
    const first = await sessions.submit(cmd());
    const steps = Array.from({ length: 40 }, (_, i) => `step-${i}`);
    await Promise.all(steps.map((step) => sessions.submit(cmd({ sessionId: first.session.id, step }))));
    const { session } = await sessions.get("acme", first.session.id);
    expect(session.submissions).toHaveLength(41);
    expect(new Set(session.submissions.map((s) => s.step))).toEqual(new Set(["", ...steps]));
    expect(session.submissions.map((s) => s.index)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    expect((await sessions.auditTrail("acme", first.session.id)).verified).toBe(true);
  });

  it("replays a retried request without billing or auditing again", async () => {
    const request = cmd();
    const first = await sessions.submit(request);
    const retry = await sessions.submit(request);
    expect(retry).toMatchObject({ replayed: true, disposition: "CREATED", requestId: request.requestId });
    expect(retry.session.id).toBe(first.session.id);
    expect(await billable()).toHaveLength(1);
    expect((await sessions.auditTrail("acme", first.session.id)).records).toHaveLength(1);

    const cont = cmd({ sessionId: first.session.id, step: "phone" });
    await sessions.submit(cont);
    const contRetry = await sessions.submit(cont);
    expect(contRetry).toMatchObject({ replayed: true, disposition: "CONTINUED" });
    expect((await sessions.get("acme", first.session.id)).session.submissions).toHaveLength(2);
  });

  it("replays concurrent duplicates of a creating request as one session", async () => {
    const request = cmd();
    const results = await Promise.all(Array.from({ length: 10 }, () => sessions.submit(request)));
    expect(new Set(results.map((r) => r.session.id)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(await billable()).toHaveLength(1);
  });

  it("refuses a reused request id with a different request and changes nothing", async () => {
    const request = cmd();
    const first = await sessions.submit(request);
    await expect(sessions.submit({ ...request, identity: { fullName: "Mallory" } })).rejects.toMatchObject({ reason: "IDEMPOTENCY_KEY_REUSED" });
    // Reusing it against a different session is the same reuse.
    const other = await sessions.submit(cmd());
    await expect(sessions.submit({ ...request, sessionId: other.session.id })).rejects.toMatchObject({ reason: "IDEMPOTENCY_KEY_REUSED" });
    expect((await sessions.get("acme", first.session.id)).session.identity.fullName).toBe("Alice");
    expect((await sessions.get("acme", other.session.id)).session.submissions).toHaveLength(1);
    expect(await billable()).toHaveLength(2);
  });

  it("treats another tenant's id as unknown, and request ids as per tenant", async () => {
    const theirs = await sessions.submit(cmd({ tenantId: "globex" }));
    const mine = await sessions.submit(cmd({ sessionId: theirs.session.id }));
    expect(mine.disposition).toBe("REPLACED_UNKNOWN");
    expect(mine.session.id).not.toBe(theirs.session.id);
    await expect(sessions.get("acme", theirs.session.id)).rejects.toMatchObject({ reason: "SESSION_NOT_FOUND" });
    await expect(sessions.auditTrail("acme", theirs.session.id)).rejects.toMatchObject({ reason: "SESSION_NOT_FOUND" });
    expect((await sessions.get("globex", theirs.session.id)).session.submissions).toHaveLength(1);
    const sameRequestId = await sessions.submit(cmd({ tenantId: "globex", requestId: mine.requestId }));
    expect(sameRequestId.replayed).toBe(false);
  });

  it("refuses a closed session and a workflow mismatch without changing either", async () => {
    const first = await sessions.submit(cmd());
    const stored = (await store.sessions.get("acme", first.session.id))!;
    await store.sessions.update({ ...stored, state: "RESOLVED", version: stored.version + 1 }, stored);
    await expect(sessions.submit(cmd({ sessionId: first.session.id }))).rejects.toMatchObject({ reason: "SESSION_CLOSED" });
    await expect(sessions.submit(cmd({ sessionId: first.session.id, workflow: "card-payment" }))).rejects.toMatchObject({
      reason: "SESSION_WORKFLOW_MISMATCH",
    });
    expect((await store.sessions.get("acme", first.session.id))!.version).toBe(stored.version + 1);
    expect(await billable()).toHaveLength(1);
  });
});

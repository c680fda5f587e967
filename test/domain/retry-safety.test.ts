import { describe, expect, it } from "vitest";
import { createDomainHarness } from "../support/domain-harness.js";

/**
 * Operations that write more than one session (a transfer and its child, a child's sync into
 * its parent, a replacement and the REPLACED marker on the session it replaces) are not atomic.
 * A retry with the same request id after a failure in between must finish the job: the same
 * state and the same answer as one successful call.
 */
describe("retries after a partial failure", () => {
  const childrenOf = async (h: ReturnType<typeof createDomainHarness>, parentId: string) =>
    (await h.store.sessions.list("acme", { limit: 100 })).filter((s) => s.parentSessionId === parentId);

  it("a transfer whose parent write failed completes on retry, with the same single child", async () => {
    const h = createDomainHarness();
    const parent = (await h.sessions.submit(h.submit())).session;
    const ctx = h.ctx();
    h.failNextWrite((s) => s.id === parent.id);
    await expect(h.links.transfer(ctx, parent.id)).rejects.toThrow("connection reset");
    const retried = await h.links.transfer(ctx, parent.id);
    expect((await childrenOf(h, parent.id)).map((c) => c.id)).toEqual([retried.child.id]);
    const record = (await h.store.sessions.get("acme", parent.id))!.audit.find((r) => r.requestId === ctx.requestId);
    expect(record?.returned["childSessionId"]).toBe(retried.child.id);
    expect((await h.links.transfer(ctx, parent.id)).child.id).toBe(retried.child.id);
  });

  it("concurrent retries of one TransferSession make one child and answer alike", async () => {
    const h = createDomainHarness();
    const parent = (await h.sessions.submit(h.submit())).session;
    const ctx = h.ctx();
    const answers = await Promise.all([h.links.transfer(ctx, parent.id), h.links.transfer(ctx, parent.id), h.links.transfer(ctx, parent.id)]);
    expect(new Set(answers.map((a) => a.child.id)).size).toBe(1);
    expect(await childrenOf(h, parent.id)).toHaveLength(1);
    expect((await h.store.sessions.get("acme", parent.id))!.audit.filter((r) => r.requestId === ctx.requestId)).toHaveLength(1);
  });

  it("a child's submission whose sync into the parent failed syncs on retry, once", async () => {
    const h = createDomainHarness();
    const parent = (await h.sessions.submit(h.submit())).session;
    const { child } = await h.links.transfer(h.ctx(), parent.id);
    const cmd = h.submit({ sessionId: child.id, identity: { email: "alice@example.com" }, step: "email" });
    h.failNextWrite((s) => s.id === parent.id);
    await expect(h.sessions.submit(cmd)).rejects.toThrow("connection reset");
    expect((await h.store.sessions.get("acme", child.id))!.submissions).toHaveLength(1); // the child's half happened
    const retried = await h.sessions.submit(cmd);
    expect(retried.replayed).toBe(true);
    const synced = (await h.store.sessions.get("acme", parent.id))!;
    expect(synced.submissions.filter((s) => s.step === "email")).toHaveLength(1);
    expect(synced.identity.email).toBe("alice@example.com");
    await h.sessions.submit(cmd);
    expect((await h.store.sessions.get("acme", parent.id))!.submissions).toHaveLength(2);
  });

  it("a child's check result whose sync into the parent failed syncs on retry, once", async () => {
    const h = createDomainHarness();
    const parent = (await h.sessions.submit(h.submit())).session;
    const { child } = await h.links.transfer(h.ctx(), parent.id);
    const ctx = h.ctx();
    h.failNextWrite((s) => s.id === parent.id);
    await expect(h.decisions.reportCheck(ctx, child.id, "LIVENESS", 0.99, "sdk")).rejects.toThrow("connection reset");
    await h.decisions.reportCheck(ctx, child.id, "LIVENESS", 0.99, "sdk");
    await h.decisions.reportCheck(ctx, child.id, "LIVENESS", 0.99, "sdk");
    expect((await h.store.sessions.get("acme", parent.id))!.checks).toHaveLength(1);
    expect((await h.store.sessions.get("acme", child.id))!.checks).toHaveLength(1);
  });

  it("a replacement whose REPLACED marker failed is marked on retry", async () => {
    const h = createDomainHarness();
    const expired = (await h.sessions.submit(h.submit())).session;
    h.clock.advance(31_000);
    const cmd = h.submit({ sessionId: expired.id });
    h.failNextWrite((s) => s.id === expired.id);
    await expect(h.sessions.submit(cmd)).rejects.toThrow("connection reset");
    const retried = await h.sessions.submit(cmd);
    expect(retried.disposition).toBe("REPLACED_EXPIRED");
    const old = (await h.store.sessions.get("acme", expired.id))!;
    expect(old.events.filter((e) => e.type === "REPLACED").map((e) => e.relatedSessionId)).toEqual([retried.session.id]);
    expect(await h.store.sessions.listBillableEvents("acme", { start: new Date(0), end: new Date(Date.UTC(2100, 0, 1)), limit: 10 })).toHaveLength(2);
  });

  it("a replayed ReportCheckResult answers with its own check, not the session's latest", async () => {
    const h = createDomainHarness();
    const session = (await h.sessions.submit(h.submit())).session;
    const first = h.ctx();
    const own = await h.decisions.reportCheck(first, session.id, "LIVENESS", 0.99, "sdk");
    await h.decisions.reportCheck(h.ctx(), session.id, "FACE_MATCH", 0.99, "sdk");
    const replay = await h.decisions.reportCheck(first, session.id, "LIVENESS", 0.99, "sdk");
    expect(replay.replayed).toBe(true);
    expect(replay.check).toEqual(own.check);
    expect(replay.check.type).toBe("LIVENESS");
  });
});

import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultDisposableDomains } from "../../src/domain/analyzers.js";
import { createManualClock } from "../../src/domain/clock.js";
import { createRiskContext } from "../../src/domain/risk-context.js";
import { defaultThresholds, emptyLists, initialConfig } from "../../src/domain/thresholds.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";
import { frozenCopy } from "../../src/store/freeze.js";
import { defaultLifetimePolicy } from "../../src/domain/policy.js";
import type { Session } from "../../src/domain/session.js";
import { createSession } from "../../src/domain/stitching.js";

describe("the risk context's configuration cache", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("keeps the object of an unchanged revision after re-reading it, so rules compiled for its lists are reused", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const store = createMemoryStore();
    const risk = createRiskContext({ store, clock: createManualClock(new Date()), defaults: defaultThresholds, disposableDomains: defaultDisposableDomains });
    await store.configurations.append({ ...initialConfig("acme"), version: 1, lists: { ...emptyLists(), denyPhones: ["+44 7700 900123"] } });

    const first = await risk.configFor("acme");
    vi.advanceTimersByTime(10_000); // past the cache: the store is read again and returns a copy
    expect(await risk.configFor("acme")).toBe(first);

    await store.configurations.append({ ...initialConfig("acme"), version: 2, lists: emptyLists() });
    vi.advanceTimersByTime(10_000);
    const next = await risk.configFor("acme");
    expect(next.version).toBe(2);
    expect(next).not.toBe(first);
  });
});

describe("the risk context's reuse of an unlinked assessment", () => {
  const identity = { fullName: "Alice Liddell", email: "alice@mailinator.com", phone: "+447700900123" };
  const at = new Date("2026-03-01T00:00:00Z");
  const sessionOf = (id: string, parts: Partial<Session> = {}) =>
    ({ ...createSession({ tenantId: "acme", id, workflow: "w", market: "GB", origin: "SUBMISSION", policy: defaultLifetimePolicy }, at), ...parts }) as Session;
  const context = (store = createMemoryStore(), disposableDomains = defaultDisposableDomains) =>
    createRiskContext({ store, clock: createManualClock(at), defaults: defaultThresholds, disposableDomains });

  it("answers a frozen identity with the assessment a fresh one gets, the same object while nothing changes", async () => {
    const risk = context();
    const config = initialConfig("acme");
    const frozen = sessionOf("s1", { identity: frozenCopy(identity) });
    const first = await risk.assess(frozen, undefined, config);
    expect(await risk.assess(frozen, undefined, config)).toBe(first);
    expect(first).toEqual(await risk.assess(sessionOf("s1", { identity: { ...identity } }), undefined, config));
    expect(Object.isFrozen(first) && Object.isFrozen(first.reasons) && Object.isFrozen(first.reasons[0])).toBe(true);
  });

  it("assesses afresh for another configuration, device, market, account or context", async () => {
    const store = createMemoryStore();
    const risk = context(store);
    const config = initialConfig("acme");
    const frozen = sessionOf("s1", { identity: frozenCopy(identity) });
    const first = await risk.assess(frozen, undefined, config);
    const denied = { ...config, version: 1, lists: { ...emptyLists(), denyEmails: ["alice@mailinator.com"] } };
    expect((await risk.assess(frozen, undefined, denied)).lists).toEqual(["deny:email"]);
    const submission = { index: 1, requestId: "r1", submitTime: at, identity: {}, device: { userAgent: "HeadlessChrome", automationFlags: [] }, step: "", complete: false };
    const withDevice = sessionOf("s1", { identity: frozen.identity, submissions: [frozenCopy(submission)] });
    expect((await risk.assess(withDevice, undefined, config)).bot).toBeGreaterThan(0);
    expect((await risk.assess({ ...frozen, market: "US" }, undefined, config)).reasons).toContainEqual(expect.objectContaining({ code: "PHONE_MARKET_MISMATCH" }));
    expect(await risk.assess(frozen, "acct-1", config)).not.toBe(first);
    const lenient = context(store, new Set());
    expect((await lenient.assess(frozen, undefined, config)).reasons).not.toContainEqual(expect.objectContaining({ code: "EMAIL_DOMAIN_DISPOSABLE" }));
    expect(first.reasons).toContainEqual(expect.objectContaining({ code: "EMAIL_DOMAIN_DISPOSABLE" }));
    expect(await risk.assess(frozen, undefined, config)).toEqual(first);
  });

  it("never reuses one once the identity graph links the session, nor for an identity that can change", async () => {
    const store = createMemoryStore();
    const risk = context(store);
    const config = initialConfig("acme");
    const frozen = sessionOf("s1", { identity: frozenCopy(identity) });
    const first = await risk.assess(frozen, undefined, config);
    expect(first.accountsLinked).toBe(0);
    await store.identity.upsert({ tenantId: "acme", sessionId: "other", accountId: "acct-9", keys: ["email:alice@mailinator.com"], approved: true, time: at });
    expect((await risk.assess(frozen, undefined, config)).accountsLinked).toBe(1);
    const open = sessionOf("s2", { identity: { ...identity } });
    expect((await risk.assess(open, undefined, config)).accountsLinked).toBe(1);
    const other = createMemoryStore();
    const alone = context(other);
    const mutable = sessionOf("s3", { identity: { ...identity } });
    expect((await alone.assess(mutable, undefined, config)).lists).toEqual([]);
    mutable.identity.email = "alice@example.com";
    expect((await alone.assess(mutable, undefined, config)).reasons).not.toContainEqual(expect.objectContaining({ code: "EMAIL_DOMAIN_DISPOSABLE" }));
  });
});

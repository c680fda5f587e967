import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { appendAudit } from "../../src/domain/audit.js";
import { issueApiKey } from "../../src/domain/api-key.js";
import { createUuidV7Generator } from "../../src/domain/ids.js";
import { defaultLifetimePolicy } from "../../src/domain/policy.js";
import type { Session } from "../../src/domain/session.js";
import { createSession } from "../../src/domain/stitching.js";
import { DuplicateKeyError, type Store } from "../../src/domain/store.js";
import { sessionInView } from "../../src/service/session-view.js";
import { createDomainHarness } from "../support/domain-harness.js";
import { metricsContractCases } from "./metrics-contract.js";

/**
 * The behaviour every Store implementation must have. Each implementation's test file calls
 * this with a factory that returns an empty store; the same cases then run against all of them.
 */
export function describeStoreContract(name: string, makeStore: () => Promise<Store>) {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    let t = Date.UTC(2026, 2, 2, 9, 0, 0);
    const ids = createUuidV7Generator(() => t);

    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    function session(tenantId = "acme", overrides: Partial<Session> = {}): Session {
      t += 1000;
      const base = createSession(
        { tenantId, id: ids.next(), workflow: "bank-signup", market: "GB", origin: "SUBMISSION", policy: defaultLifetimePolicy },
        new Date(t),
      );
      const audited = {
        ...base,
        version: 1,
        audit: appendAudit([], {
          recordTime: new Date(t),
          requestId: `req-${base.id}`,
          fingerprint: "f",
          procedure: "/p",
          principal: "key:k",
          provided: { identity: { email: "alice@example.com" } },
          returned: { disposition: "CREATED" },
        }),
      };
      return { ...audited, ...overrides };
    }

    it("round-trips an aggregate exactly, dates included", async () => {
      const s = session();
      s.identity = { fullName: "Alice", address: { lines: ["1 A St"], locality: "Oxford", administrativeArea: "", postalCode: "OX1", regionCode: "GB" } };
      s.submissions = [{ index: 1, requestId: "r", submitTime: new Date(t), identity: { fullName: "Alice" }, step: "s", complete: false, device: { automationFlags: ["webdriver"], deviceId: "d1" } }];
      await store.sessions.insert(s);
      expect(await store.sessions.get("acme", s.id)).toEqual(s);
      expect((await store.sessions.getForUpdate("acme", s.id)).session).toEqual(s);
    });

    it("never shows one tenant's session to another", async () => {
      const s = session("acme");
      await store.sessions.insert(s);
      expect(await store.sessions.get("globex", s.id)).toBeUndefined();
      expect((await store.sessions.getForUpdate("globex", s.id)).session).toBeUndefined();
      expect(await store.sessions.findByRequestId("globex", s.audit[0]!.requestId)).toBeUndefined();
      expect(await store.sessions.list("globex", { limit: 10 })).toEqual([]);
      const range = { start: new Date(0), end: new Date(t + 1), limit: 10 };
      expect(await store.sessions.listBillableEvents("globex", range)).toEqual([]);
      expect(await store.sessions.countUsage("globex", { ...range, period: "DAY" })).toEqual([]);
      expect(await store.sessions.update({ ...s, tenantId: "globex", version: 2 }, s)).toBe(false);
      expect((await store.sessions.get("acme", s.id))?.version).toBe(1);
    });

    it("refuses a second session with the same id, request id or replaced session", async () => {
      const s = session();
      await store.sessions.insert(s);
      await expect(store.sessions.insert({ ...session(), id: s.id })).rejects.toEqual(new DuplicateKeyError("id"));
      await expect(store.sessions.insert({ ...session(), audit: s.audit })).rejects.toEqual(new DuplicateKeyError("requestId"));
      const expired = s.id;
      await store.sessions.insert(session("acme", { replaces: expired }));
      await expect(store.sessions.insert(session("acme", { replaces: expired }))).rejects.toEqual(new DuplicateKeyError("replaces"));
      expect((await store.sessions.findReplacement("acme", expired))?.replaces).toBe(expired);
      expect(await store.sessions.findReplacement("globex", expired)).toBeUndefined();
    });

    it("lets the same request id and replaced id exist in different tenants", async () => {
      const a = session("acme", { replaces: "0197f665-6c88-7512-bc33-a7605d487377" });
      await store.sessions.insert(a);
      await store.sessions.insert(session("globex", { audit: a.audit, replaces: a.replaces! }));
    });

    it("updates only at the expected version", async () => {
      const s = session();
      await store.sessions.insert(s);
      const next = { ...s, version: 2, currentStep: "phone" };
      expect(await store.sessions.update(next, s)).toBe(true);
      expect(await store.sessions.update({ ...s, version: 2, currentStep: "stale" }, s)).toBe(false);
      expect((await store.sessions.get("acme", s.id))?.currentStep).toBe("phone");
      const never = session();
      expect(await store.sessions.update({ ...never, version: 2 }, never)).toBe(false); // never inserted
    });

    it("refuses an update that adds another session's request id", async () => {
      const a = session();
      const b = session();
      await store.sessions.insert(a);
      await store.sessions.insert(b);
      const audit = appendAudit(b.audit, { ...a.audit[0]!, recordTime: new Date(t) });
      await expect(store.sessions.update({ ...b, version: 2, audit }, b)).rejects.toEqual(new DuplicateKeyError("requestId"));
      expect((await store.sessions.get("acme", b.id))?.version).toBe(1);
    });

    it("finds a session by any request id in its trail", async () => {
      const s = session();
      await store.sessions.insert(s);
      const audit = appendAudit(s.audit, { ...s.audit[0]!, requestId: "second" });
      await store.sessions.update({ ...s, version: 2, audit }, s);
      expect((await store.sessions.findByRequestId("acme", "second"))?.id).toBe(s.id);
      expect((await store.sessions.findByRequestId("acme", s.audit[0]!.requestId))?.id).toBe(s.id);
      expect(await store.sessions.findByRequestId("acme", "nope")).toBeUndefined();
    });

    it("never lets a caller change stored state: what it inserted is copied, what it reads is frozen", async () => {
      const s = session();
      await store.sessions.insert(s);
      s.currentStep = "mutated after insert";
      const read = await store.sessions.get("acme", s.id);
      expect(() => read!.submissions.push({ index: 9, requestId: "x", submitTime: new Date(), identity: {}, step: "", complete: false })).toThrow(TypeError);
      const again = await store.sessions.get("acme", s.id);
      expect(again?.currentStep).toBe("");
      expect(again?.submissions).toEqual([]);
    });

    it("keeps what an update wrote frozen too: changed fields, the lists and the appended entries", async () => {
      const s = session();
      await store.sessions.insert(s);
      const submission = { index: 1, requestId: "r1", submitTime: new Date(t), identity: { email: "a@example.com" }, step: "email", complete: false };
      const next = { ...s, version: 2, identity: { email: "a@example.com" }, submissions: [submission] };
      expect(await store.sessions.update(next, s)).toBe(true);
      const read = (await store.sessions.get("acme", s.id))!;
      expect(() => read.submissions.push(submission)).toThrow(TypeError);
      expect(() => (read.submissions[0]!.identity.email = "b@example.com")).toThrow(TypeError);
      expect(() => (read.identity.email = "b@example.com")).toThrow(TypeError);
      expect(() => (read.currentStep = "changed")).toThrow(TypeError);
      expect(() => read.events.push(read.events[0]!)).toThrow(TypeError);
    });

    it("writes a change exactly: appended entries, changed and removed fields, the rest untouched", async () => {
      const s = session("acme", { risk: { label: "REAL", accountScore: 0.1, bot: 0, multipleAccounts: 0, riskSignals: 0, syntheticIdentity: 0, accountsLinked: 0, linkedAccounts: [], lists: [], reasons: [], configurationVersion: 0 } });
      await store.sessions.insert(s);
      const submission = { index: 1, requestId: "r1", submitTime: new Date(t), identity: { email: "zoë@example.com" }, step: "email", complete: false };
      const { risk: _dropped, ...withoutRisk } = s;
      const next: typeof s = {
        ...withoutRisk,
        version: 2,
        identity: { email: "zoë@example.com" },
        currentStep: "email",
        completedSteps: ["email"],
        submissions: [submission],
        events: [...s.events, { sequence: 2, type: "SUBMISSION", time: new Date(t), state: "OPEN", submissionIndex: 1 }],
        audit: appendAudit(s.audit, { ...s.audit[0]!, requestId: "r1", recordTime: new Date(t) }),
      };
      expect(await store.sessions.update(next, s)).toBe(true);
      expect(await store.sessions.get("acme", s.id)).toEqual(next);
      const third = { ...next, version: 3, submissions: [...next.submissions, { ...submission, index: 2, requestId: "r2" }] };
      expect(await store.sessions.update(third, next)).toBe(true);
      expect(await store.sessions.get("acme", s.id)).toEqual(third);
    });

    it("lists newest first with filters and keyset paging", async () => {
      const made: Session[] = [];
      for (let i = 0; i < 7; i++) {
        const s = session("acme", { workflow: i % 2 ? "card-payment" : "bank-signup", state: i === 3 ? "RESOLVED" : "OPEN", market: i < 5 ? "GB" : "DE" });
        if (i === 4) s.decision = { ...s.decision, decision: "REVIEW", reason: "RISK_AT_REVIEW" };
        made.push(s);
        await store.sessions.insert(s);
      }
      await store.sessions.insert(session("globex"));
      const all = await store.sessions.list("acme", { limit: 100 });
      expect(all.map((s) => s.id)).toEqual(made.map((s) => s.id).reverse());
      const page1 = await store.sessions.list("acme", { limit: 3 });
      const page2 = await store.sessions.list("acme", { limit: 3, beforeId: page1.at(-1)!.id });
      expect([...page1, ...page2].map((s) => s.id)).toEqual(all.slice(0, 6).map((s) => s.id));
      expect((await store.sessions.list("acme", { limit: 100, workflow: "card-payment" })).length).toBe(3);
      expect((await store.sessions.list("acme", { limit: 100, market: "DE" })).length).toBe(2);
      expect((await store.sessions.list("acme", { limit: 100, states: ["RESOLVED"] })).map((s) => s.id)).toEqual([made[3]!.id]);
      expect((await store.sessions.list("acme", { limit: 100, decisions: ["REVIEW"] })).map((s) => s.id)).toEqual([made[4]!.id]);
      expect((await store.sessions.list("acme", { limit: 100, decisions: ["REVIEW", "PENDING"] })).length).toBe(7);
      const window = await store.sessions.list("acme", { limit: 100, createTimeStart: made[2]!.createTime, createTimeEnd: made[4]!.createTime });
      expect(window.map((s) => s.id)).toEqual([made[3]!.id, made[2]!.id]);
    });

    it("lists summaries that show what the BASIC view shows, whatever the store leaves out", async () => {
      const h = createDomainHarness(store);
      const first = await h.sessions.submit(h.submit({ tenantId: "acme", workflow: "kyc", identity: { fullName: "Alice Example", email: "alice@example.com" } }));
      for (const step of ["phone", "address"]) await h.sessions.submit(h.submit({ tenantId: "acme", workflow: "kyc", sessionId: first.session.id, step }));
      const whole = await store.sessions.get("acme", first.session.id);
      expect(whole!.events.length).toBeGreaterThan(1);
      const [summary] = await store.sessions.list("acme", { limit: 10, summary: true });
      expect(sessionInView(summary!, "BASIC")).toEqual(sessionInView(whole!, "BASIC"));
      expect(sessionInView(summary!, "BASIC").lastEventSequence).toBe(BigInt(whole!.events.length));
    });

    it("leaves stored sessions whole when it lists summaries", async () => {
      const h = createDomainHarness(store);
      const first = await h.sessions.submit(h.submit({ tenantId: "acme", workflow: "kyc", identity: { fullName: "Alice Example", email: "alice@example.com" } }));
      const before = await store.sessions.get("acme", first.session.id);
      expect(before!.risk!.reasons.length).toBeGreaterThan(0);
      await store.sessions.list("acme", { limit: 10, summary: true });
      expect(await store.sessions.get("acme", first.session.id)).toEqual(before);
    });

    it("lists billable events oldest first, skipping sessions that do not bill, and counts usage", async () => {
      const day1 = session("acme");
      const day1b = session("acme", { workflow: "card-payment" });
      const transfer = session("acme", { billable: false });
      t += 86_400_000;
      const day2 = session("acme");
      for (const s of [day1, day1b, transfer, day2]) await store.sessions.insert(s);
      const range = { start: new Date(Date.UTC(2026, 2, 1)), end: new Date(Date.UTC(2026, 3, 1)) };
      const events = await store.sessions.listBillableEvents("acme", { ...range, limit: 10 });
      expect(events.map((e) => e.sessionId)).toEqual([day1.id, day1b.id, day2.id]);
      expect(events[0]).toEqual({ id: day1.id, sessionId: day1.id, workflow: "bank-signup", market: "GB", createTime: day1.createTime });
      const paged = await store.sessions.listBillableEvents("acme", { ...range, limit: 10, afterId: day1.id, workflow: "bank-signup" });
      expect(paged.map((e) => e.sessionId)).toEqual([day2.id]);
      const days = await store.sessions.countUsage("acme", { ...range, period: "DAY" });
      expect(days.map((r) => [r.periodStart.toISOString().slice(0, 10), r.workflow, r.billableEvents])).toEqual([
        ["2026-03-02", "bank-signup", 1],
        ["2026-03-02", "card-payment", 1],
        ["2026-03-03", "bank-signup", 1],
      ]);
      const months = await store.sessions.countUsage("acme", { ...range, period: "MONTH", workflow: "bank-signup" });
      expect(months).toEqual([{ periodStart: new Date(Date.UTC(2026, 2, 1)), periodEnd: new Date(Date.UTC(2026, 3, 1)), workflow: "bank-signup", billableEvents: 2 }]);
    });

    it("stores API keys by hash only", async () => {
      const { secret, key } = issueApiKey("acme", ["sessions"], new Date(t));
      await store.apiKeys.insert(key);
      expect(await store.apiKeys.count()).toBe(1);
      expect(await store.apiKeys.findByHash(key.hash)).toEqual(key);
      expect(await store.apiKeys.findByHash(secret)).toBeUndefined();
      expect(JSON.stringify(await store.apiKeys.findByHash(key.hash))).not.toContain(secret);
      await expect(store.apiKeys.insert(key)).rejects.toEqual(new DuplicateKeyError("apiKey"));
    });

    it("appends each write's new events to the tenant feed, in order, with ordered cursors", async () => {
      const seen: string[] = [];
      const unsubscribe = store.events.subscribe((events) => seen.push(...events.map((e) => `${e.tenantId}:${e.event.sequence}`)));
      const s = session("acme");
      await store.sessions.insert(s); // OPENED
      const event = (sequence: number) => ({ sequence, type: "SUBMISSION" as const, time: new Date(t), state: "OPEN" as const });
      const more = { ...s, version: 2, events: [...s.events, event(2), event(3)] };
      await store.sessions.update(more, s); // two events in one write
      await store.sessions.update({ ...more, version: 3 }, s); // stale: publishes nothing
      await store.sessions.insert(session("globex"));
      // Stores may notify asynchronously (a change stream, a poll); order is what matters.
      await vi.waitFor(() => expect(seen).toHaveLength(4), { timeout: 5000 });
      unsubscribe();
      await store.sessions.insert(session("acme"));
      await new Promise((r) => setTimeout(r, 300));
      expect(seen.sort()).toEqual(["acme:1", "acme:2", "acme:3", "globex:1"]);
      expect(seen.filter((x) => x.startsWith("acme"))).toEqual(["acme:1", "acme:2", "acme:3"]);

      const feed = await store.events.read("acme", undefined, undefined, 10);
      expect(feed.map((e) => [e.sessionId, e.event.type])).toEqual([[s.id, "OPENED"], [s.id, "SUBMISSION"], [s.id, "SUBMISSION"], [feed[3]!.sessionId, "OPENED"]]);
      expect(feed.every((e) => e.tenantId === "acme" && e.workflow === "bank-signup" && store.events.isCursor(e.cursor))).toBe(true);
      expect([...feed.map((e) => e.cursor)].sort()).toEqual(feed.map((e) => e.cursor));
      expect(new Set(feed.map((e) => e.cursor)).size).toBe(4);
      expect((await store.events.read("acme", feed[0]!.cursor, undefined, 1)).map((e) => e.cursor)).toEqual([feed[1]!.cursor]);
      expect((await store.events.read("acme", undefined, feed[1]!.cursor, 10)).map((e) => e.cursor)).toEqual([feed[0]!.cursor, feed[1]!.cursor]);
      expect(await store.events.read("acme", feed[3]!.cursor, undefined, 10)).toEqual([]);
      // Everything at or below the stable point is readable; it is a cursor like any other.
      expect(store.events.stablePoint() >= feed[3]!.cursor).toBe(true);
      expect(store.events.isCursor(store.events.stablePoint())).toBe(true);
      expect(await store.events.checkResumable("acme", feed[0]!.cursor)).toBeUndefined();
      expect((await store.events.read("globex", undefined, undefined, 10)).map((e) => e.event.type)).toEqual(["OPENED"]);
      expect(store.events.isCursor("not a cursor")).toBe(false);
    });

    it("finds expired sessions that are not closed, across tenants", async () => {
      const fresh = session("acme");
      const expired = session("acme", { expireTime: new Date(t - 1) });
      const closed = session("acme", { expireTime: new Date(t - 1), state: "RESOLVED" });
      const theirs = session("globex", { expireTime: new Date(t - 1), state: "WARNING" });
      for (const s of [fresh, expired, closed, theirs]) await store.sessions.insert(s);
      const found = await store.sessions.findExpiredOpen(new Date(t), 10);
      expect(found.map((s) => s.id).sort()).toEqual([expired.id, theirs.id].sort());
      expect(await store.sessions.findExpiredOpen(new Date(t), 1)).toHaveLength(1);
    });

    it("keeps identity links per tenant and finds them by any shared key, newest first", async () => {
      const link = (tenantId: string, sessionId: string, keys: string[], minutes: number) => ({
        tenantId, sessionId, accountId: `acct-${sessionId}`, keys, name: "alice liddell", approved: true, time: new Date(Date.UTC(2026, 0, 1, 0, minutes)),
      });
      await store.identity.upsert(link("acme", "s1", ["email:a@x.io", "phone:447700900123"], 1));
      await store.identity.upsert(link("acme", "s2", ["phone:447700900123", "device:d1"], 2));
      await store.identity.upsert(link("globex", "s3", ["email:a@x.io"], 3));
      await store.identity.upsert({ ...link("acme", "s1", ["email:a@x.io"], 4), approved: false }); // replaces s1's link
      expect((await store.identity.findByKeys("acme", ["phone:447700900123"], 10)).map((l) => l.sessionId)).toEqual(["s2"]);
      const byEither = await store.identity.findByKeys("acme", ["email:a@x.io", "device:d1"], 10);
      expect(byEither.map((l) => [l.sessionId, l.approved])).toEqual([["s1", false], ["s2", true]]);
      expect(await store.identity.findByKeys("acme", [], 10)).toEqual([]);
      expect((await store.identity.findByKeys("globex", ["phone:447700900123"], 10))).toEqual([]);
    });

    it("appends configuration revisions once per version and lists them newest first", async () => {
      const config = (version: number, tenantId = "acme") => ({
        tenantId, version, values: { review: 0.4 + version / 100 }, marketOverrides: { HU: { document: 0.6 } }, lists: {
          denyEmails: [], denyPhones: [], denyDomains: ["bad.example"], denyDeviceIds: [], allowEmails: [], allowPhones: [], allowDomains: [], allowDeviceIds: [],
        }, reason: `change ${version}`, principal: "key:k", createTime: new Date(Date.UTC(2026, 0, version)),
      });
      expect(await store.configurations.current("acme")).toBeUndefined();
      expect(await store.configurations.append(config(1))).toBe(true);
      expect(await store.configurations.append(config(2))).toBe(true);
      expect(await store.configurations.append({ ...config(2), reason: "racing writer" })).toBe(false);
      expect(await store.configurations.append(config(1, "globex"))).toBe(true);
      expect(await store.configurations.current("acme")).toEqual(config(2));
      expect((await store.configurations.list("acme", undefined, 10)).map((c) => c.version)).toEqual([2, 1]);
      expect((await store.configurations.list("acme", 2, 10)).map((c) => c.reason)).toEqual(["change 1"]);
    });

    it("finds a session by its current link token hash only", async () => {
      const s = session("acme", { linkTokenHash: "h1", linkVersion: 1 });
      await store.sessions.insert(s);
      expect((await store.sessions.findByLinkTokenHash("h1"))?.id).toBe(s.id);
      await store.sessions.update({ ...s, version: 2, linkTokenHash: "h2", linkVersion: 2 }, s);
      expect(await store.sessions.findByLinkTokenHash("h1")).toBeUndefined();
      expect((await store.sessions.findByLinkTokenHash("h2"))?.tenantId).toBe("acme");
      expect(await store.sessions.findByLinkTokenHash("nope")).toBeUndefined();
    });

    metricsContractCases(() => store);

    it("answers ping", async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}

import { clone, toBinary, toJsonString } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import type { Session } from "../../src/domain/session.js";
import { createViewer } from "../../src/service/client-view.js";
import { memoFrozen, memoList, memoRecent } from "../../src/service/frozen-memo.js";
import { sessionToProto } from "../../src/service/mapping.js";
import { frozenCopy } from "../../src/store/freeze.js";
import { SessionSchema } from "../../gen/sessionflow/v1/session_pb.js";
import { LifecycleEventSchema, type LifecycleEvent } from "../../gen/sessionflow/v1/event_pb.js";
import { CheckResultSchema } from "../../gen/sessionflow/v1/risk_pb.js";
import { create } from "@bufbuild/protobuf";
import { createDomainHarness } from "../support/domain-harness.js";

const identity = { fullName: "Alice Liddell", email: "alice@example.com", phone: "+447700900123" };

/** A session with `continues` submissions after the first, as the embedded store holds it. */
async function storedSession(continues: number, overrides: Partial<typeof identity> = {}): Promise<{ stored: Session; next: Session }> {
  const h = createDomainHarness();
  const first = await h.sessions.submit(h.submit({ workflow: "bank-signup", identity: { ...identity, ...overrides }, step: "start" }));
  let next = first.session;
  for (let i = 0; i < continues; i++) {
    h.clock.advance(1000);
    const address = { lines: ["1 Rabbit Hole"], locality: "Oxford", administrativeArea: "", postalCode: "OX1 1AA", regionCode: "GB" };
    const device = i % 2 ? { ipAddress: "192.0.2.1", automationFlags: ["headless"] } : { deviceId: `d${i}`, automationFlags: [] };
    next = (
      await h.sessions.submit(
        h.submit({ sessionId: first.session.id, workflow: "bank-signup", identity: { ...identity, ...overrides, address }, device, step: `s${i}`, complete: i === continues - 1 }),
      )
    ).session;
  }
  return { stored: (await h.store.sessions.get(first.session.tenantId, first.session.id))!, next };
}

/** What sessionToProto gave before any caching: every message built afresh from an unfrozen copy. */
const uncached = (s: Session) => sessionToProto(structuredClone(s));

describe("mapping shares what stored versions share", () => {
  it("maps a stored session and the version a continue returns as it would without caching", async () => {
    const { stored, next } = await storedSession(5);
    for (const s of [stored, next, stored, next]) {
      expect(toJsonString(SessionSchema, sessionToProto(s))).toBe(toJsonString(SessionSchema, uncached(s)));
      expect(toBinary(SessionSchema, sessionToProto(s))).toEqual(toBinary(SessionSchema, uncached(s)));
      // The literals mapping builds are the messages create() builds, field for field.
      expect(sessionToProto(s)).toStrictEqual(clone(SessionSchema, sessionToProto(s)));
    }
  });

  it("converts an old submission once: the next version's response holds the same, frozen message", async () => {
    const { stored } = await storedSession(3);
    const a = sessionToProto(stored);
    const b = sessionToProto(stored);
    expect(b.submissions[0]).toBe(a.submissions[0]);
    expect(Object.isFrozen(a.submissions[0])).toBe(true);
    expect(Object.isFrozen(a.submissions[0]!.identity)).toBe(true);
    expect(() => {
      "use strict";
      (a.submissions[0] as { step: string }).step = "changed";
    }).toThrow(TypeError);
  });

  it("converts a stored version once, but shows the replacement it is given on every read", async () => {
    const { stored, next } = await storedSession(1);
    expect(sessionToProto(stored)).toBe(sessionToProto(stored));
    expect(Object.isFrozen(sessionToProto(stored))).toBe(true);
    expect(sessionToProto(stored, "b5a8a0c6-0000-4000-8000-000000000000").replacedBy).toBe("b5a8a0c6-0000-4000-8000-000000000000");
    expect(sessionToProto(stored).replacedBy).toBe("");
    // The version a write returns is the writer's own, not frozen: converted afresh.
    expect(sessionToProto(next)).not.toBe(sessionToProto(next));
  });

  it("never serves one session's messages for another's, even with equal content", async () => {
    const one = await storedSession(2);
    const other = await storedSession(2, { fullName: "Bob" });
    const a = sessionToProto(one.stored);
    const b = sessionToProto(other.stored);
    expect(a.submissions[0]).not.toBe(b.submissions[0]);
    expect(b.submissions.map((s) => s.identity?.fullName)).toEqual(["Bob", "Bob", "Bob"]);
    expect(a.submissions.map((s) => s.requestId)).toEqual(one.stored.submissions.map((s) => s.requestId));
    expect(b.submissions.map((s) => s.requestId)).toEqual(other.stored.submissions.map((s) => s.requestId));
  });
});

describe("memoList", () => {
  const convert = (v: { n: number }) => ({ m: v.n });

  it("reuses the run of a list's frozen leading items and converts only what follows", () => {
    let calls = 0;
    const map = memoList((v: { n: number }) => (calls++, convert(v)));
    const items = [1, 2, 3].map((n) => Object.freeze({ n }));
    const first = map(Object.freeze(items.slice(0, 2)));
    calls = 0;
    const grown = map([...items, { n: 4 }]);
    expect(calls).toBe(2); // the frozen third item and the unfrozen fourth
    expect(grown.map((r) => r.m)).toEqual([1, 2, 3, 4]);
    expect(grown[0]).toBe(first[0]);
  });

  it("does not reuse a run when an item in it differs, though the first is the same", () => {
    const map = memoList(convert);
    const a = Object.freeze({ n: 1 });
    map([a, Object.freeze({ n: 2 })]);
    expect(map([a, Object.freeze({ n: 9 })]).map((r) => r.m)).toEqual([1, 9]);
    expect(map([a]).map((r) => r.m)).toEqual([1]);
  });

  it("remembers nothing for items that are not frozen: they may still change", () => {
    const map = memoList(convert);
    const item = { n: 1 };
    expect(map([item])[0]!.m).toBe(1);
    item.n = 2;
    expect(map([item])[0]!.m).toBe(2);
  });

  it("memoFrozen remembers frozen values only", () => {
    const map = memoFrozen(convert);
    const open = { n: 1 };
    const a = map(open);
    open.n = 2;
    expect(map(open).m).toBe(2);
    expect(map(open)).not.toBe(a);
    const frozen = Object.freeze({ n: 3 });
    expect(map(frozen)).toBe(map(frozen));
  });
});

describe("memoRecent", () => {
  it("remembers only the most recent frozen values, so reads cannot pin every stored version", () => {
    let converted = 0;
    const convert = memoRecent((v: { n: number }) => ({ n: v.n, at: ++converted }), 2);
    const [a, b, c] = [1, 2, 3].map((n) => Object.freeze({ n }));
    const first = convert(a!);
    expect(convert(a!)).toBe(first);
    convert(b!);
    convert(c!); // a is now the least recent of three: forgotten
    expect(convert(a!)).not.toBe(first);
    expect(converted).toBe(4);
    const open = { n: 4 };
    expect(convert(open)).not.toBe(convert(open));
  });
});

describe("the client view copies what it hides", () => {
  const reducedView = createViewer(async () => ({ clientScores: false }) as never);
  const clientCtx = { values: { get: () => ({ tenantId: "t", sessionId: "s", name: "client" }) } } as never;

  it("leaves the shared messages of a session whole", async () => {
    const { stored } = await storedSession(1);
    const withChecks = frozenCopy({
      ...stored,
      checks: [{ id: "c1", type: "LIVENESS", score: 0.9, outcome: "PASSED", vendor: "v", reportTime: new Date(0), threshold: 0.5 }],
      analyses: [{ id: "a1", analyzer: "x", status: "COMPLETED", startTime: new Date(0), risk: 0.7, reasonCodes: ["R"] }],
    } as Session);
    const view = await reducedView(clientCtx);
    const shown = view.session(sessionToProto(withChecks));
    expect(shown.checks[0]!.score).toBe(0);
    expect(shown.analyses[0]!.reasonCodes).toEqual([]);
    expect(shown.risk).toBeUndefined();
    const full = sessionToProto(withChecks);
    expect(full.checks[0]!.score).toBe(0.9);
    expect(full.analyses[0]!.risk).toBe(0.7);
    expect(full.risk).toBeDefined();
  });

  it("hides an event's scores without changing the event it was given", async () => {
    const view = await reducedView(clientCtx);
    const event: LifecycleEvent = Object.freeze(
      create(LifecycleEventSchema, { check: Object.freeze(create(CheckResultSchema, { score: 0.8, threshold: 0.5 })) }),
    );
    const shown = view.event(event);
    expect(shown.check!.score).toBe(0);
    expect(event.check!.score).toBe(0.8);
  });
});

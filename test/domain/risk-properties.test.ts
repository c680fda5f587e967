import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultDisposableDomains } from "../../src/domain/analyzers.js";
import { assessRisk, type RiskInput } from "../../src/domain/risk.js";
import { defaultThresholds, emptyLists } from "../../src/domain/thresholds.js";

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const identity = fc.record(
  {
    fullName: maybe(fc.constantFrom("Alice Liddell", "Bob", "Zoë Ünal", "x", "")),
    email: maybe(fc.oneof(fc.emailAddress(), fc.constantFrom("a@yopmail.com", "broken@", "alice.liddell@example.com"))),
    phone: maybe(fc.oneof(fc.constantFrom("+447700900123", "+33612345678", "12ab", "0"), fc.stringMatching(/^\+?[0-9 ]{0,20}$/))),
  },
  { requiredKeys: [] },
);
const device = maybe(
  fc.record({
    deviceId: maybe(fc.constantFrom("d1", "d2")),
    userAgent: maybe(fc.constantFrom("Mozilla/5.0", "HeadlessChrome", "")),
    automationFlags: fc.array(fc.constantFrom("webdriver", "headless", "selenium"), { maxLength: 4 }),
  }),
);
const link = fc.record({
  tenantId: fc.constant("acme"),
  sessionId: fc.constantFrom("s1", "s2", "s3", "s-self"),
  accountId: fc.constantFrom("acct-1", "acct-2", "acct-self"),
  keys: fc.subarray(["email:alice.liddell@example.com", "phone:+447700900123", "device:d1", "email:a@yopmail.com"]),
  name: maybe(fc.constantFrom("alice liddell", "bob")),
  approved: fc.boolean(),
  time: fc.date({ min: new Date("2026-05-01T00:00:00Z"), max: new Date("2026-06-01T00:00:00Z"), noInvalidDate: true }),
});
const thresholds = fc
  .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([a, b]) => ({ ...defaultThresholds, review: Math.min(a, b), decline: Math.max(a, b) }));

const input = fc.record({
  identity,
  device,
  market: fc.constantFrom("GB", "US", "HU", ""),
  accountId: maybe(fc.constantFrom("acct-1", "acct-self")),
  links: fc.array(link, { maxLength: 8 }),
  thresholds,
  configurationVersion: fc.nat(100),
});

type Generated = typeof input extends fc.Arbitrary<infer T> ? T : never;

/** Generated records carry explicit undefineds; the domain's optional fields are simply absent. */
const defined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

const toRiskInput = (i: Generated): RiskInput => ({
  identity: defined(i.identity),
  ...(i.device ? { device: defined(i.device) } : {}),
  market: i.market,
  ...(i.accountId ? { accountId: i.accountId } : {}),
  sessionId: "s-self",
  links: i.links.map((l) => defined(l)),
  lists: emptyLists(),
  thresholds: i.thresholds,
  configurationVersion: i.configurationVersion,
  disposableDomains: defaultDisposableDomains,
  now: new Date("2026-06-01T12:00:00Z"),
});

describe("risk assessment properties", () => {
  it("keeps every score within 0..1 and the label consistent with the thresholds", () => {
    fc.assert(
      fc.property(input, (i) => {
        const r = assessRisk(toRiskInput(i));
        for (const score of [r.accountScore, r.bot, r.multipleAccounts, r.riskSignals, r.syntheticIdentity]) {
          expect(score).toBeGreaterThanOrEqual(0);
          expect(score).toBeLessThanOrEqual(1);
        }
        expect(r.label).toBe(r.accountScore >= i.thresholds.decline ? "FAKE" : r.accountScore >= i.thresholds.review ? "SUSPICIOUS" : "REAL");
        expect(r.accountsLinked).toBe(r.linkedAccounts.length);
      }),
      { numRuns: 500 },
    );
  });

  it("is deterministic for the same inputs, configuration version and history", () => {
    fc.assert(
      fc.property(input, (i) => {
        const a = assessRisk(toRiskInput(i));
        const b = assessRisk(structuredClone(toRiskInput(i)));
        expect(b).toEqual(a);
        // Link order is storage order, which must not matter.
        const reversed = assessRisk({ ...toRiskInput(i), links: [...toRiskInput(i).links].reverse() });
        expect({ ...reversed, reasons: [...reversed.reasons].sort((x, y) => (x.code < y.code ? -1 : 1)) }).toEqual({
          ...a,
          reasons: [...a.reasons].sort((x, y) => (x.code < y.code ? -1 : 1)),
        });
      }),
      { numRuns: 500 },
    );
  });
});

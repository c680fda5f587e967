import { describe, expect, it } from "vitest";
import { defaultDisposableDomains } from "../../src/domain/analyzers.js";
import type { IdentityLink } from "../../src/domain/identity-graph.js";
import { assessRisk, sameAssessment, type RiskAssessment, type RiskInput } from "../../src/domain/risk.js";
import { defaultThresholds, emptyLists } from "../../src/domain/thresholds.js";

const now = new Date("2026-06-01T12:00:00Z");
const alice = { fullName: "Alice Liddell", email: "alice.liddell@example.com", phone: "+447700900123" };
const address = { lines: ["1 Rabbit Hole Lane"], locality: "Oxford", administrativeArea: "", postalCode: "OX1 1AA", regionCode: "GB" };

function input(overrides: Partial<RiskInput> = {}): RiskInput {
  return {
    identity: { fullName: alice.fullName, email: alice.email },
    market: "GB",
    sessionId: "s-new",
    links: [],
    lists: emptyLists(),
    thresholds: defaultThresholds,
    configurationVersion: 3,
    disposableDomains: defaultDisposableDomains,
    now,
    ...overrides,
  };
}

function link(overrides: Partial<IdentityLink> = {}): IdentityLink {
  return {
    tenantId: "acme",
    sessionId: "s-old",
    accountId: "acct-alice",
    keys: ["email:alice.liddell@example.com", "phone:+447700900123", "address:1 rabbit hole lane|ox1 1aa|gb"],
    name: "alice liddell",
    address: "1 rabbit hole lane|ox1 1aa|gb",
    approved: true,
    time: new Date("2026-05-01T12:00:00Z"),
    ...overrides,
  };
}

const codes = (r: ReturnType<typeof assessRisk>, component?: string) =>
  r.reasons.filter((x) => !component || x.component === component).map((x) => x.code);

describe("identity element checks (risk_signals)", () => {
  it.each([
    ["a clean identity", {}, [], 0],
    ["bad email syntax", { email: "alice.liddell@@example" }, ["EMAIL_SYNTAX_INVALID"], 0.4],
    ["a disposable domain", { email: "alice.liddell@yopmail.com" }, ["EMAIL_DOMAIN_DISPOSABLE"], 0.3],
    ["an implausible phone", { phone: "12ab" }, ["PHONE_FORMAT_INVALID"], 0.3],
    ["a phone of another market", { phone: "+33612345678" }, ["PHONE_MARKET_MISMATCH"], 0.2],
    ["a phone of the market", { phone: "+447700900123" }, [], 0],
    ["a name unrelated to the email", { email: "zz93@example.com" }, ["NAME_EMAIL_MISMATCH"], 0.1],
    ["initials in the email", { email: "al.x@example.com" }, [], 0],
  ])("%s", (_name, identity, expected, score) => {
    const r = assessRisk(input({ identity: { fullName: alice.fullName, email: alice.email, ...identity } }));
    expect(codes(r, "risk_signals")).toEqual(expected);
    expect(r.riskSignals).toBe(score);
  });

  it("raises velocity at 3 sessions sharing an element within 24 hours, not at 2, not when older", () => {
    const recent = (n: number, hoursAgo: number) =>
      Array.from({ length: n }, (_, i) => link({ sessionId: `v${i}`, accountId: `acct-${i}`, time: new Date(now.getTime() - hoursAgo * 3600_000) }));
    expect(codes(assessRisk(input({ links: recent(2, 1) })), "risk_signals")).not.toContain("VELOCITY_EMAIL");
    expect(codes(assessRisk(input({ links: recent(3, 1) })), "risk_signals")).toContain("VELOCITY_EMAIL");
    expect(codes(assessRisk(input({ links: recent(3, 25) })), "risk_signals")).not.toContain("VELOCITY_EMAIL");
  });
});

describe("bot signals", () => {
  it.each([
    ["no device", undefined, 0, []],
    ["a normal browser", { userAgent: "Mozilla/5.0 (Macintosh)", automationFlags: [] }, 0, []],
    ["webdriver", { userAgent: "Mozilla/5.0", automationFlags: ["webdriver"] }, 0.8, ["BOT_AUTOMATION_FLAG"]],
    ["two flags", { userAgent: "Mozilla/5.0", automationFlags: ["webdriver", "headless"] }, 0.9, ["BOT_AUTOMATION_FLAG"]],
    ["a headless user agent", { userAgent: "Mozilla/5.0 HeadlessChrome/120", automationFlags: [] }, 0.8, ["BOT_HEADLESS_USER_AGENT"]],
    ["no user agent", { automationFlags: [] }, 0.3, ["BOT_NO_USER_AGENT"]],
  ])("%s", (_name, device, bot, expected) => {
    const r = assessRisk(input(device ? { device } : {}));
    expect(r.bot).toBe(bot);
    expect(codes(r, "bot")).toEqual(expected);
  });
});

describe("corroboration (synthetic_identity)", () => {
  it("falls as the phone and then the address match what an approved authenticated session established", () => {
    const graph = [link()];
    const step1 = assessRisk(input({ links: graph }));
    const step2 = assessRisk(input({ links: graph, identity: { ...alice } }));
    const step3 = assessRisk(input({ links: graph, identity: { ...alice, address } }));
    expect([step1.syntheticIdentity, step2.syntheticIdentity, step3.syntheticIdentity]).toEqual([0.45, 0.25, 0.05]);
    expect(codes(step3, "synthetic_identity")).toEqual(["IDENTITY_UNVERIFIED", "EMAIL_CORROBORATED", "PHONE_CORROBORATED", "ADDRESS_CORROBORATED"]);
  });

  it("does not corroborate from unapproved sessions, or from this session itself", () => {
    expect(assessRisk(input({ links: [link({ approved: false })], identity: { ...alice } })).syntheticIdentity).toBe(0.6);
    expect(assessRisk(input({ links: [link({ sessionId: "s-new" })], identity: { ...alice } })).syntheticIdentity).toBe(0.6);
  });

  it("raises it when an approved session holds the same phone or email under another name", () => {
    const r = assessRisk(input({ links: [link({ name: "mallory mcfake" })], identity: { ...alice } }));
    expect(codes(r, "synthetic_identity")).toEqual(["IDENTITY_UNVERIFIED", "EMAIL_CONTRADICTED", "PHONE_CONTRADICTED"]);
    expect(r.syntheticIdentity).toBe(1);
  });

  it("sees through invisible characters in the name and the address, as in the email and phone", () => {
    const hidden = { fullName: "Ali\u200Bce Lid\u00ADdell", email: alice.email, phone: alice.phone, address: { ...address, lines: ["1 Rab\u200Bbit\u2060 Hole Lane"] } };
    const r = assessRisk(input({ links: [link()], identity: hidden }));
    expect(codes(r, "synthetic_identity")).toEqual(["IDENTITY_UNVERIFIED", "EMAIL_CORROBORATED", "PHONE_CORROBORATED", "ADDRESS_CORROBORATED"]);
  });
});

describe("multi-accounting", () => {
  it("counts other accounts sharing elements or the device, never the session's own account", () => {
    const links = [
      link({ sessionId: "a", accountId: "acct-1", keys: ["email:alice.liddell@example.com"] }),
      link({ sessionId: "b", accountId: "acct-2", keys: ["device:d1"] }),
      link({ sessionId: "c", accountId: "acct-self", keys: ["device:d1"] }),
    ];
    const asNew = assessRisk(input({ links, device: { deviceId: "d1", userAgent: "UA", automationFlags: [] } }));
    expect([asNew.accountsLinked, asNew.multipleAccounts, asNew.linkedAccounts]).toEqual([3, 1, ["acct-1", "acct-2", "acct-self"]]);
    const asSelf = assessRisk(input({ links, accountId: "acct-self", device: { deviceId: "d1", userAgent: "UA", automationFlags: [] } }));
    expect([asSelf.accountsLinked, asSelf.multipleAccounts]).toEqual([2, 0.75]);
    expect(codes(asSelf, "multiple_accounts")).toEqual(["MULTI_ACCOUNT_EMAIL", "MULTI_ACCOUNT_DEVICE"]);
  });
});

describe("lists", () => {
  it("deny wins over allow and forces the score; allow clears it", () => {
    const lists = { ...emptyLists(), denyDomains: ["example.com"], allowEmails: ["Alice.Liddell@example.com"] };
    const denied = assessRisk(input({ lists }));
    expect(denied.lists).toEqual(["allow:email", "deny:domain"]);
    expect([denied.accountScore, denied.label]).toEqual([1, "FAKE"]);
    const allowed = assessRisk(input({ lists: { ...emptyLists(), allowPhones: ["+44 7700 900123"] }, identity: { ...alice }, device: { automationFlags: ["webdriver"], userAgent: "x" } }));
    expect([allowed.lists, allowed.accountScore, allowed.label]).toEqual([["allow:phone"], 0, "REAL"]);
  });
});

describe("labels at the thresholds", () => {
  // A clean new identity scores 1 - (1 - 0.6 * 0.6) = 0.36.
  it.each([
    [0.37, 0.8, "REAL"],
    [0.36, 0.8, "SUSPICIOUS"],
    [0.35, 0.8, "SUSPICIOUS"],
    [0.3, 0.37, "SUSPICIOUS"],
    [0.3, 0.36, "FAKE"],
    [0.3, 0.35, "FAKE"],
  ])("review %s, decline %s -> %s", (review, decline, label) => {
    const r = assessRisk(input({ thresholds: { ...defaultThresholds, review, decline } }));
    expect(r.accountScore).toBe(0.36);
    expect(r.label).toBe(label);
    expect(r.configurationVersion).toBe(3);
  });
});

describe("sameAssessment", () => {
  const base: RiskAssessment = {
    label: "REAL",
    accountScore: 0.2,
    bot: 0,
    multipleAccounts: 0,
    riskSignals: 0,
    syntheticIdentity: 0.6,
    accountsLinked: 0,
    linkedAccounts: ["a1"],
    lists: ["allow:email"],
    reasons: [{ component: "synthetic_identity", code: "IDENTITY_UNVERIFIED", weight: 0.6 }],
    configurationVersion: 1,
  };
  const changed: Record<keyof RiskAssessment, unknown> = {
    label: "FAKE",
    accountScore: 0.3,
    bot: 0.1,
    multipleAccounts: 0.5,
    riskSignals: 0.1,
    syntheticIdentity: 0.45,
    accountsLinked: 1,
    linkedAccounts: ["a2"],
    lists: [],
    reasons: [{ component: "synthetic_identity", code: "IDENTITY_UNVERIFIED", weight: 0.5 }],
    configurationVersion: 2,
  };

  it("holds for equal assessments and fails when any one field differs", () => {
    expect(sameAssessment(base, structuredClone(base))).toBe(true);
    // Every field an assessment has must be listed above, so a new field cannot go uncompared.
    expect(Object.keys(changed).sort()).toEqual(Object.keys(base).sort());
    for (const key of Object.keys(base) as (keyof RiskAssessment)[]) {
      expect(sameAssessment(base, { ...base, [key]: changed[key] }), key).toBe(false);
    }
    expect(sameAssessment(base, { ...base, reasons: [...base.reasons, base.reasons[0]!] })).toBe(false);
    expect(sameAssessment(base, { ...base, reasons: [{ ...base.reasons[0]!, code: "X" }] })).toBe(false);
    expect(sameAssessment(base, { ...base, reasons: [{ ...base.reasons[0]!, component: "bot" }] })).toBe(false);
  });

  it("compares every field assessRisk returns", () => {
    const assessed = assessRisk(input({}));
    expect(Object.keys(assessed).sort()).toEqual(Object.keys(base).sort());
  });
});

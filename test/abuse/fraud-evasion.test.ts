import { createClient, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigurationService } from "../../gen/sessionflow/v1/configuration_service_pb.js";
import { DecisionService } from "../../gen/sessionflow/v1/decision_service_pb.js";
import { Decision, RiskLabel } from "../../gen/sessionflow/v1/risk_pb.js";
import { createDisposableEmailAnalyzer, defaultDisposableDomains } from "../../src/domain/analyzers.js";
import type { IdentityLink } from "../../src/domain/identity-graph.js";
import { assessRisk, type RiskInput } from "../../src/domain/risk.js";
import type { Identity } from "../../src/domain/session.js";
import { defaultThresholds, emptyLists, type TenantLists } from "../../src/domain/thresholds.js";
import { clientsFor, transportFor, type Clients } from "../support/clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/**
 * Issue 10: fraud rules evaded by Unicode and format variants. Each row is a variant an
 * attacker can type that names the same mailbox, domain or phone as a tenant's rule.
 */
const lists: TenantLists = {
  ...emptyLists(),
  denyEmails: ["zoë@example.com"],
  denyDomains: ["fraud.example"],
  denyPhones: ["+44 7700 900123"],
};

function assess(identity: Identity, market = "GB", links: IdentityLink[] = []) {
  const input: RiskInput = {
    identity,
    market,
    sessionId: "s-new",
    links,
    lists,
    thresholds: defaultThresholds,
    configurationVersion: 1,
    disposableDomains: defaultDisposableDomains,
    now: new Date("2026-06-01T12:00:00Z"),
  };
  return assessRisk(input);
}

const nfd = (s: string) => s.normalize("NFD");

describe("deny lists see through Unicode and format variants", () => {
  it.each([
    ["an NFD email", { email: nfd("zoë@example.com") }, "deny:email"],
    ["an upper-case NFD email", { email: nfd("ZOË@EXAMPLE.COM") }, "deny:email"],
    ["a zero-width space in the local part", { email: "zo\u200Bë@example.com" }, "deny:email"],
    ["a zero-width joiner between letter and accent", { email: "zoe\u200D\u0308@example.com" }, "deny:email"],
    ["a soft hyphen and a word joiner", { email: "z\u00ADo\u2060ë@example.com" }, "deny:email"],
    ["a byte-order mark inside", { email: "zoë\uFEFF@example.com" }, "deny:email"],
    ["a fullwidth address", { email: "ｚｏë＠ｅｘａｍｐｌｅ．ｃｏｍ" }, "deny:email"],
    ["a trailing dot on the domain", { email: "zoë@example.com." }, "deny:email"],
    ["a denied domain's subdomain", { email: "x@sub.fraud.example" }, "deny:domain"],
    ["a denied domain, fullwidth, with a trailing dot", { email: "x@ｆｒａｕｄ.example." }, "deny:domain"],
    ["a denied domain with a zero-width non-joiner", { email: "x@fr\u200Caud.example" }, "deny:domain"],
    ["a denied phone in national form", { phone: "07700 900123" }, "deny:phone"],
    ["a denied phone with brackets and dashes", { phone: "(07700) 900-123" }, "deny:phone"],
    ["a denied phone with fullwidth digits", { phone: "+４４ ７７００ ９００１２３" }, "deny:phone"],
  ])("%s is denied", (_name, identity, list) => {
    const r = assess(identity);
    expect(r.lists).toContain(list);
    expect(r.label).toBe("FAKE");
  });

  it.each([
    ["a different mailbox", { email: "zoe@example.com" }],
    ["a look-alike domain that only ends like the denied one", { email: "x@notfraud.example" }],
    ["a phone one digit off", { phone: "07700 900124" }],
    ["an invalid domain", { email: "x@fraud..example" }],
  ])("%s is not denied", (_name, identity) => {
    expect(assess(identity).lists).toEqual([]);
  });
});

describe("the disposable-email rule sees through variants", () => {
  const analyzer = createDisposableEmailAnalyzer();
  const analyze = async (email: string) =>
    analyzer.analyze({ workflow: "w", market: "GB", identity: { email } }, new AbortController().signal);

  it.each([
    ["a subdomain", "x@sub.mailinator.com"],
    ["a deep subdomain", "x@a.b.mailinator.com"],
    ["fullwidth letters", "x@ｍａｉｌｉｎａｔｏｒ.com"],
    ["a zero-width space", "x@mail\u200Binator.com"],
    ["an ideographic full stop and a trailing dot", "x@mailinator\u3002com."],
    ["a subdomain label that is invalid punycode", "x@xn--zz.mailinator.com"],
    ["a subdomain label with an underscore", "x@a_b.mailinator.com"],
    ["an empty label in front", "x@sub..mailinator.com"],
  ])("%s gets the warning and the risk signal", async (_name, email) => {
    expect((await analyze(email)).warning?.kind).toBe("DISPOSABLE_EMAIL");
    expect(assess({ email }).reasons.map((r) => r.code)).toContain("EMAIL_DOMAIN_DISPOSABLE");
  });

  it.each([
    ["a suffix that is not at a label boundary", "x@notmailinator.com"],
    ["the disposable name as a subdomain of another domain", "x@mailinator.com.example.org"],
  ])("%s does not", async (_name, email) => {
    expect((await analyze(email)).warning).toBeUndefined();
    expect(assess({ email }).reasons.map((r) => r.code)).not.toContain("EMAIL_DOMAIN_DISPOSABLE");
  });
});

describe("velocity and linked accounts see through variants", () => {
  /** Three other accounts' sessions from the last hour, as the identity graph returns them. */
  const links = (key: string): IdentityLink[] =>
    ["a", "b", "c"].map((n) => ({ tenantId: "acme", sessionId: `s-${n}`, accountId: `acct-${n}`, keys: [key], approved: false, time: new Date("2026-06-01T11:00:00Z") }));

  it.each([
    ["an email in NFD upper case with a zero-width space", "email:zoë@example.com", { email: "ZOE\u0308\u200B@EXAMPLE.COM" }, "EMAIL"],
    ["an email with a fullwidth domain and a trailing dot", "email:zoë@example.com", { email: "zoë@ｅｘａｍｐｌｅ.com." }, "EMAIL"],
    ["a phone in national form", "phone:+447700900123", { phone: "07700 900123" }, "PHONE"],
  ])("%s", (_name, key, identity, kind) => {
    const codes = assess(identity, "GB", links(key)).reasons.map((r) => r.code);
    expect(codes).toContain(`VELOCITY_${kind}`);
    expect(codes).toContain(`MULTI_ACCOUNT_${kind}`);
  });
});

describe("evasion over a real server", () => {
  let server: TestServer;
  let c: Clients;
  let config: Client<typeof ConfigurationService>;

  beforeAll(async () => {
    server = await startTestServer();
    c = clientsFor("connect-json-h1", server.baseUrl, server.keys.acme);
    config = createClient(ConfigurationService, transportFor("grpc-h2", server.baseUrl, server.keys.acme));
    await config.updateThresholds({ expectedVersion: 0n, reason: "known fraudster", lists: { denyEmails: ["zoë@example.com"] } });
  });
  afterAll(() => server.close());

  it("declines a deny-listed email submitted in NFD form", async () => {
    const s = await c.submissions.submit({ workflow: "kyc", identity: { fullName: "Zoë", email: nfd("zoë@example.com") }, complete: true });
    expect(s.session!.risk).toMatchObject({ lists: ["deny:email"], label: RiskLabel.FAKE });
    expect(s.session!.decision!.decision).toBe(Decision.DECLINE);
  });

  it("shows the disposable-email warning for a subdomain of a disposable domain", async () => {
    const s = await c.submissions.submit({ workflow: "payment", identity: { email: "payer@sub.mailinator.com" }, complete: true });
    expect(s.session!.warningScreens.map((w) => w.kind)).toEqual(["DISPOSABLE_EMAIL"]);
    expect(s.session!.risk!.reasons.map((r) => r.code)).toContain("EMAIL_DOMAIN_DISPOSABLE");
  });

  it("links a later session to an authenticated account through a variant of its email", async () => {
    const decisions = createClient(DecisionService, transportFor("grpc-h2", server.baseUrl, server.keys.acme));
    const first = await c.submissions.submit({ workflow: "kyc", identity: { email: "renée@example.com" }, complete: true });
    await decisions.authenticateSession({ sessionId: first.session!.id, accountId: "acct-renee" });
    const later = await c.submissions.submit({ workflow: "kyc", identity: { email: nfd("RENÉE\u200B@Example.COM.") }, complete: true });
    const d = await decisions.getUnauthenticatedDecision({ sessionId: later.session!.id, options: { includeLinkedAccounts: true } });
    expect(d.decision).toMatchObject({ accountsLinked: 1, linkedAccounts: ["acct-renee"] });
    expect(d.decision!.risk!.reasons.map((r) => r.code)).toContain("MULTI_ACCOUNT_EMAIL");
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createDisposableEmailAnalyzer, defaultDisposableDomains } from "../../src/domain/analyzers.js";
import { elementsOf, lookupKeys } from "../../src/domain/identity-graph.js";
import { assessRisk, type RiskInput } from "../../src/domain/risk.js";
import type { Identity } from "../../src/domain/session.js";
import { defaultThresholds, emptyLists, type TenantLists } from "../../src/domain/thresholds.js";
import {
  asSubdomain,
  otherPhone,
  phones,
  phoneVariant,
  textTransforms,
  variantOf,
  withTrailingDot,
} from "./identity-variants.js";

/**
 * Issue 10: every variant of a listed value an attacker can type (Unicode forms, fullwidth
 * forms, invisible characters, case, trailing dots, subdomains, phone formatting) matches the
 * rule, in the lists, the disposable-email rule and the identity graph alike; values that
 * only look close (another mailbox, a suffix off a label boundary, another number) do not.
 */
const emails = ["zoë@example.com", "alice.liddell@example.com", "josé.müller@bücher.de", "renée@exämple.fr", "straße@example.de", "σοφία@example.gr", "ﬁnance@example.com"];
const domains = ["mailinator.com", "fraud.example", "bücher.de", "exämple.fr", "xn--bcher-kva.de"];

const emailVariant = (email: string) => variantOf(email, [...textTransforms, withTrailingDot]);
const domainVariant = (domain: string) => variantOf(domain, [...textTransforms, withTrailingDot]);
const underDomain = (domain: string) => variantOf(domain, [...textTransforms, withTrailingDot, asSubdomain]);

function assess(identity: Identity, lists: Partial<TenantLists>, market = "GB") {
  const input: RiskInput = {
    identity,
    market,
    sessionId: "s-new",
    links: [],
    lists: { ...emptyLists(), ...lists },
    thresholds: defaultThresholds,
    configurationVersion: 1,
    disposableDomains: defaultDisposableDomains,
    now: new Date("2026-06-01T12:00:00Z"),
  };
  return assessRisk(input);
}

const disposable = async (email: string, listed: string) =>
  (await createDisposableEmailAnalyzer(new Set([listed])).analyze({ workflow: "w", market: "GB", identity: { email } }, new AbortController().signal)).warning;

describe("variants of a listed value match it", () => {
  it("emails: listed in one form, submitted in another, on the deny and the allow list", () => {
    const arb = fc.constantFrom(...emails).chain((e) => fc.tuple(emailVariant(e), emailVariant(e)));
    fc.assert(
      fc.property(arb, ([listed, submitted]) => {
        expect(assess({ email: submitted }, { denyEmails: [listed], allowEmails: [listed] }).lists).toEqual(["deny:email", "allow:email"]);
      }),
    );
  });

  it("domains: a denied domain covers its variants and every subdomain", () => {
    const arb = fc.constantFrom(...domains).chain((d) => fc.tuple(domainVariant(d), underDomain(d), fc.constantFrom("x", "Zoë")));
    fc.assert(
      fc.property(arb, ([listed, submitted, local]) => {
        expect(assess({ email: `${local}@${submitted}` }, { denyDomains: [listed] }).lists).toEqual(["deny:domain"]);
      }),
    );
  });

  it("domains: the disposable rule and its risk signal cover variants and subdomains", async () => {
    const arb = fc.constantFrom(...domains).chain((d) => fc.tuple(domainVariant(d), underDomain(d)));
    await fc.assert(
      fc.asyncProperty(arb, async ([listed, submitted]) => {
        expect((await disposable(`x@${submitted}`, listed))?.kind).toBe("DISPOSABLE_EMAIL");
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...defaultDisposableDomains).chain(underDomain), (submitted) => {
        expect(assess({ email: `x@${submitted}` }, {}).reasons.map((r) => r.code)).toContain("EMAIL_DOMAIN_DISPOSABLE");
      }),
    );
  });

  it("phones: national and international forms, any grouping, brackets, fullwidth digits, invisible characters", () => {
    const arb = fc.constantFrom(...phones).chain((p) => fc.tuple(fc.constant(p.market), phoneVariant(p), phoneVariant(p)));
    fc.assert(
      fc.property(arb, ([market, listed, submitted]) => {
        expect(assess({ phone: submitted }, { denyPhones: [listed], allowPhones: [listed] }, market).lists).toEqual(["deny:phone", "allow:phone"]);
      }),
    );
  });

  it("identity-graph keys: variants of an email and a phone give the same lookup keys", () => {
    const arb = fc
      .tuple(fc.constantFrom(...emails), fc.constantFrom(...phones))
      .chain(([e, p]) => fc.tuple(fc.constant(p.market), emailVariant(e), emailVariant(e), phoneVariant(p), phoneVariant(p)));
    fc.assert(
      fc.property(arb, ([market, email1, email2, phone1, phone2]) => {
        expect(lookupKeys(elementsOf({ email: email1, phone: phone1 }, undefined, market))).toEqual(
          lookupKeys(elementsOf({ email: email2, phone: phone2 }, undefined, market)),
        );
      }),
    );
  });
});

describe("values that only look close do not match", () => {
  it("emails: another mailbox, or the same mailbox name under a subdomain or a longer domain", () => {
    const unrelated = fc.constantFrom(...emails).chain((e) => {
      const [local, domain] = e.split("@") as [string, string];
      const other = fc.constantFrom(`${local}x@${domain}`, `x${local}@${domain}`, `${local}@sub.${domain}`, `${local}@not${domain}`, `${local}@${domain}.evil.org`);
      return fc.tuple(emailVariant(e), other.chain(emailVariant));
    });
    fc.assert(
      fc.property(unrelated, ([listed, submitted]) => {
        expect(assess({ email: submitted }, { denyEmails: [listed], allowEmails: [listed] }).lists).toEqual([]);
      }),
    );
  });

  it("domains: a suffix that is not at a label boundary, a listed name under another domain, another TLD", async () => {
    const unrelated = fc.constantFrom(...domains.filter((d) => !d.startsWith("xn--"))).chain((d) => {
      const other = fc.constantFrom(`not${d}`, `${d}.evil.org`, `${d.slice(0, d.lastIndexOf("."))}.net`, `${d.slice(0, d.indexOf("."))}x${d.slice(d.indexOf("."))}`);
      return fc.tuple(domainVariant(d), other.chain(underDomain));
    });
    fc.assert(
      fc.property(unrelated, ([listed, submitted]) => {
        expect(assess({ email: `x@${submitted}` }, { denyDomains: [listed], allowDomains: [listed] }).lists).toEqual([]);
      }),
    );
    await fc.assert(
      fc.asyncProperty(unrelated, async ([listed, submitted]) => {
        expect(await disposable(`x@${submitted}`, listed)).toBeUndefined();
      }),
    );
  });

  it("phones: another number of the same market, in any form", () => {
    const arb = fc.constantFrom(...phones).chain((p) => fc.tuple(fc.constant(p.market), phoneVariant(p), phoneVariant(otherPhone(p))));
    fc.assert(
      fc.property(arb, ([market, listed, submitted]) => {
        expect(assess({ phone: submitted }, { denyPhones: [listed] }, market).lists).toEqual([]);
      }),
    );
  });

  it("entries that are not valid domains never match, whatever the session's domain", () => {
    const garbage = fc.oneof(
      fc.constantFrom("", ".", "..", "*", "@", "-", "a..b", "x.com:80", "[1.2.3.4]", "\u200B", "。"),
      fc.string({ unit: fc.constantFrom(".", "-", "@", "*", ":", "/", "%", "_", " ", "\u200B", "\u3002", "\uFF0E"), maxLength: 8 }),
    );
    fc.assert(
      fc.property(garbage, fc.constantFrom(...domains).chain(underDomain), (entry, submitted) => {
        expect(assess({ email: `x@${submitted}` }, { denyDomains: [entry], allowDomains: [entry] }).lists).toEqual([]);
      }),
    );
  });
});

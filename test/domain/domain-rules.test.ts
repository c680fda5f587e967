import { describe, expect, it } from "vitest";
import { createDomainRules } from "../../src/domain/domain-rules.js";
import { normalizeDomain } from "../../src/domain/normalize-domain.js";

const matches = (entries: string[], domain: string, subdomains = true) => createDomainRules(entries, { subdomains }).matches(normalizeDomain(domain));

describe("domain rules", () => {
  it.each([
    ["the domain itself", ["mailinator.com"], "mailinator.com", true],
    ["a subdomain", ["mailinator.com"], "sub.mailinator.com", true],
    ["a deep subdomain", ["mailinator.com"], "a.b.c.mailinator.com", true],
    ["a suffix off a label boundary", ["mailinator.com"], "notmailinator.com", false],
    ["the listed name under another domain", ["mailinator.com"], "mailinator.com.evil.org", false],
    ["a parent of the listed domain", ["sub.mailinator.com"], "mailinator.com", false],
    ["an entry in any form", ["ＭＡＩＬＩＮＡＴＯＲ．com."], "x.mailinator.com", true],
    ["an IDN entry, a punycode domain", ["bücher.de"], "shop.xn--bcher-kva.de", true],
    ["a punycode entry, an IDN domain", ["xn--bcher-kva.de"], "shop.BU\u0308CHER.de", true],
    ["a single-label entry covers its TLD", ["example"], "fraud.example", true],
  ])("%s", (_name, entries, domain, expected) => {
    expect(matches(entries, domain)).toBe(expected);
  });

  it("without subdomains, only the listed domain itself", () => {
    expect(matches(["acme.com"], "ACME.com.", false)).toBe(true);
    expect(matches(["acme.com"], "uk.acme.com", false)).toBe(false);
  });

  it.each([[""], ["."], [".."], ["*"], ["*.mailinator.com"], ["@mailinator.com"], ["mailinator..com"], ["\u200B"]])(
    "drops the entry %j instead of matching everything",
    (entry) => {
      for (const domain of ["mailinator.com", "x.mailinator.com", "example.org", "a..com", "com"]) expect(matches([entry], domain)).toBe(false);
    },
  );

  it("matches nothing for a session without a domain", () => {
    expect(createDomainRules(["mailinator.com"], { subdomains: true }).matches(undefined)).toBe(false);
    expect(createDomainRules(["mailinator.com"], { subdomains: true }).matches("")).toBe(false);
  });
});

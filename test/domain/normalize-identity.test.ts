import fc from "fast-check";
import { domainToASCII } from "node:url";
import { describe, expect, it } from "vitest";
import { normalizeDomain, normalizeDomainRule } from "../../src/domain/normalize-domain.js";
import { normalizeEmail } from "../../src/domain/normalize-email.js";
import { normalizePhone } from "../../src/domain/normalize-phone.js";
import { normalizeText } from "../../src/domain/normalize-text.js";

/** Text made of what domains are made of, valid or not, with letters IDNA and lower-casing treat differently. */
const hostish = fc.string({
  unit: fc.oneof(fc.constantFrom(".", "-", "。", "．", "xn--", "ü", "ß", "ẞ", "İ", "ϲ", "ᾈ", "Ⴀ", "Ꭰ", "\u200B", "_", "1", "a", "Ａ"), fc.string({ unit: "binary", maxLength: 1 })),
  maxLength: 20,
});

describe("normalizeText", () => {
  it.each([
    ["NFD to composed", "zoe\u0308", "zoë"],
    ["zero-width space, joiners, word joiner, BOM, soft hyphen", "z\u200Bo\u200C\u200De\u2060\uFEFF\u00AD", "zoe"],
    ["an invisible between a letter and its accent", "zoe\u200B\u0308", "zoë"],
    ["bidirectional marks and tags", "\u202Ez\u200Eo\u{E0041}e", "zoe"],
    ["fullwidth letters and at sign", "ＺＯＥ＠ＥＸ", "zoe@ex"],
    ["a ligature", "\uFB01nance", "finance"],
    ["surrounding spaces, a no-break space", "\u00A0zoe ", "zoe"],
    ["the capital sharp s to ß", "STRA\u1E9EE", "straße"],
    ["ß stays ß, not ss (IDNA2008)", "straße", "straße"],
    ["I lower-cases to i whatever the locale", "ALICE", "alice"],
    ["the dotless ı stays a letter of its own", "alıce", "alıce"],
    ["the dotted İ becomes i and a combining dot, as in IDNA", "\u0130", "i\u0307"],
  ])("%s", (_name, input, expected) => {
    expect(normalizeText(input)).toBe(expected);
  });

  it("is idempotent and leaves no invisible characters, for any text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const once = normalizeText(s);
        expect(normalizeText(once)).toBe(once);
        expect(once).not.toMatch(/[\p{Cf}\p{Default_Ignorable_Code_Point}]/u);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("domains", () => {
  it.each([
    ["upper case", "Mailinator.COM", "mailinator.com"],
    ["a trailing dot, and several", "mailinator.com..", "mailinator.com"],
    ["fullwidth with a fullwidth dot", "ｍａｉｌｉｎａｔｏｒ．ｃｏｍ", "mailinator.com"],
    ["an ideographic full stop", "mailinator\u3002com\u3002", "mailinator.com"],
    ["a soft hyphen inside", "mail\u00ADinator.com", "mailinator.com"],
    ["an IDN to punycode", "Bücher.de", "xn--bcher-kva.de"],
    ["an IDN in NFD", "bu\u0308cher.de", "xn--bcher-kva.de"],
    ["punycode as it is", "XN--BCHER-KVA.DE", "xn--bcher-kva.de"],
    ["ß kept (nontransitional)", "straße.de", "xn--strae-oqa.de"],
    ["a single label", "com", "com"],
    ["case mapped by IDNA, not by lower-casing first: ẞ is ss", "STRA\u1E9EE.de", "strasse.de"],
    ["case mapped by IDNA: a Greek iota subscript", "\u1F88.gr", "xn--uxa970l.gr"],
    ["compatibility forms mapped by IDNA too: a lunate sigma is σ, not ς", "\u03F2a.gr", "xn--a-zmb.gr"],
  ])("a rule: %s", (_name, input, expected) => {
    expect(normalizeDomainRule(input)).toBe(expected);
    expect(normalizeDomain(input)).toBe(expected);
  });

  it.each([
    ["empty", ""],
    ["a dot", "."],
    ["an empty label", "a..b"],
    ["a leading hyphen", "-a.com"],
    ["invalid punycode", "xn--zz.com"],
    ["a port", "x.com:80"],
    ["a path", "x.com/"],
    ["a percent escape", "%41.com"],
    ["an IP literal", "[1.2.3.4]"],
    ["an IPv4 address", "1.2.3.4"],
    ["what the URL parser reads as IPv4", "0x7f.1"],
    ["a space", "exa mple.com"],
    ["an underscore", "a_b.com"],
    ["a wildcard", "*.x.com"],
    ["an at sign", "@x.com"],
    ["a 64-character label", `${"a".repeat(64)}.com`],
  ])("not a rule: %s", (_name, input) => {
    expect(normalizeDomainRule(input)).toBeUndefined();
  });

  it.each([
    ["invalid punycode in front", "xn--zz.Mailinator.com", "xn--zz.mailinator.com"],
    ["an underscore in front", "a_b.mailinator.com", "a_b.mailinator.com"],
    ["an empty label in front", "sub..mailinator.com", "sub..mailinator.com"],
    ["a numeric label is not read as IPv4", "1.mailinator\u3002com", "1.mailinator.com"],
    ["a non-ASCII label still converted", "a_b.bücher.de", "a_b.xn--bcher-kva.de"],
    ["a label IDNA refuses keeps its text, not lower-cased into one it accepts", "\u10A0.mailinator.com", "\u10A0.mailinator.com"],
  ])("an invalid session domain keeps its labels: %s", (_name, input, expected) => {
    expect(normalizeDomain(input)).toBe(expected);
  });

  it("maps every letter as IDNA (UTS 46) maps it, so a rule names the host a browser would reach", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: 1, maxLength: 4 }).filter((s) => /^\p{L}+$/u.test(s)), (letters) => {
        const idna = domainToASCII(`${letters}.example`);
        if (idna !== "") expect(normalizeDomainRule(`${letters}.example`)).toBe(idna);
      }),
      { numRuns: 5000 },
    );
  });

  it("never throws; a rule is always a valid ASCII host name; normalizing again changes nothing", () => {
    fc.assert(
      fc.property(fc.oneof(hostish, fc.string({ unit: "binary" })), (s) => {
        const domain = normalizeDomain(s);
        if (domain !== undefined) expect(normalizeDomain(domain)).toBe(domain);
        const rule = normalizeDomainRule(s);
        if (rule === undefined) return;
        expect(rule).toMatch(/^[a-z0-9.-]{1,253}$/);
        expect(normalizeDomainRule(rule)).toBe(rule);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("normalizeEmail", () => {
  it.each([
    ["NFD, upper case", "ZOE\u0308@EXAMPLE.COM", { address: "zoë@example.com", domain: "example.com" }],
    ["fullwidth at sign and dot", "zoë＠example．com", { address: "zoë@example.com", domain: "example.com" }],
    ["a small at sign", "zoë\uFE6Bexample.com", { address: "zoë@example.com", domain: "example.com" }],
    ["an IDN domain", "zoë@Bücher.de.", { address: "zoë@xn--bcher-kva.de", domain: "xn--bcher-kva.de" }],
    ["the local part lower-cased, the domain mapped by IDNA", "STRA\u1E9EE@STRA\u1E9EE.de", { address: "straße@strasse.de", domain: "strasse.de" }],
    ["the last at sign splits", "a@b@c.com", { address: "a@b@c.com", domain: "c.com" }],
    ["no at sign", "not-an-email", { address: "not-an-email" }],
    ["nothing after the at sign", "zoe@", { address: "zoe@" }],
  ])("%s", (_name, input, expected) => {
    expect(normalizeEmail(input)).toEqual(expected);
  });

  it("normalizing an address again changes nothing", () => {
    const email = fc.oneof(fc.emailAddress(), fc.string({ unit: "binary" }), fc.tuple(fc.string({ unit: "binary", maxLength: 6 }), hostish).map(([l, d]) => `${l}@${d}`));
    fc.assert(
      fc.property(email, (s) => {
        const once = normalizeEmail(s);
        if (once) expect(normalizeEmail(once.address)).toEqual(once);
      }),
      { numRuns: 2000 },
    );
  });

  it("is undefined for nothing but invisible characters and spaces", () => {
    expect(normalizeEmail(" \u200B ")).toBeUndefined();
    expect(normalizeEmail(undefined)).toBeUndefined();
  });
});

describe("normalizePhone", () => {
  it.each([
    ["international", "+44 7700 900123", "GB", "+447700900123"],
    ["national, with the market as region", "07700 900123", "GB", "+447700900123"],
    ["brackets, dashes, dots", "(07700) 900-1.23", "GB", "+447700900123"],
    ["the market's exit code", "0044 7700 900123", "GB", "+447700900123"],
    ["the US exit code", "011 44 7700 900123", "US", "+447700900123"],
    ["international in another market", "+44 7700 900123", "US", "+447700900123"],
    ["national US", "(202) 555-0123", "US", "+12025550123"],
    ["fullwidth digits and plus", "＋４４ ７７００ ９００１２３", "GB", "+447700900123"],
    ["invisible characters", "+44\u200B7700\u2060900123", "GB", "+447700900123"],
    ["national without a market: digits only", "07700 900123", "", "07700900123"],
    ["national with an unknown market: digits only", "07700 900123", "XX", "07700900123"],
    ["not a possible number: digits only", "12ab", "GB", "12"],
  ])("%s", (_name, input, market, expected) => {
    expect(normalizePhone(input, market)).toBe(expected);
  });

  it("is undefined without digits", () => {
    expect(normalizePhone("ab", "GB")).toBeUndefined();
    expect(normalizePhone(undefined, "GB")).toBeUndefined();
  });
});

describe("normalizePhone, remembered", () => {
  it("answers a repeated phone as it did the first time, per market", () => {
    const national = "07700 900123";
    const answers = () => [normalizePhone(national, "GB"), normalizePhone(national, ""), normalizePhone(national, "FR"), normalizePhone("no digits", "GB")];
    const first = answers();
    expect(first[0]).toBe("+447700900123");
    expect(first[1]).toBe("07700900123"); // no market: its digits alone
    expect(first[2]).not.toBe(first[0]);
    expect(first[3]).toBeUndefined();
    expect(answers()).toEqual(first);
  });
});

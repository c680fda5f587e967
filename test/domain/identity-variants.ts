import fc from "fast-check";

/**
 * Arbitraries that rewrite an email, domain or phone into forms an attacker can type and a
 * reader takes for the same value. Each transform keeps the value's identity; `variantOf`
 * applies a random subset of them in a random order.
 */
export type Transform = (s: string) => fc.Arbitrary<string>;

/** Code points, so an insertion never splits a surrogate pair. */
const codePoints = (s: string) => Array.from(s);

const invisibles = ["\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF", "\u00AD", "\u200E", "\u2061", "\u180E", "\uFE0F", "\u{E0041}"];

/** Zero-width and other invisible characters at random places. */
export const withInvisibles: Transform = (s) =>
  fc.array(fc.tuple(fc.nat(), fc.constantFrom(...invisibles)), { minLength: 1, maxLength: 4 }).map((inserts) => {
    const cs = codePoints(s);
    for (const [at, c] of inserts) cs.splice(at % (cs.length + 1), 0, c);
    return cs.join("");
  });

/** Only true case pairs: "ß" upper-cases to "SS", a different string, so it is left alone. */
const caseVariant = (c: string) => {
  const upper = c.toUpperCase();
  return codePoints(upper).length === 1 && upper.toLowerCase() === c ? upper : c;
};

const someChars = (s: string, change: (c: string) => string) =>
  fc.array(fc.boolean(), { minLength: codePoints(s).length, maxLength: codePoints(s).length }).map((flags) =>
    codePoints(s).map((c, i) => (flags[i] ? change(c) : c)).join(""),
  );

export const withCaseChanges: Transform = (s) => someChars(s, caseVariant);

/** ASCII "!" … "~" have fullwidth forms at U+FF01 … U+FF5E ("ａ", "＠", "．", "＋", "１"). */
export const withFullwidth: Transform = (s) => someChars(s, (c) => (c >= "!" && c <= "~" ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c));

export const inAnyForm: Transform = (s) => fc.constantFrom("NFC", "NFD", "NFKC", "NFKD").map((form) => s.normalize(form));

/** A trailing dot, plain or ideographic, as in a fully qualified domain name. */
export const withTrailingDot: Transform = (s) => fc.constantFrom(s, `${s}.`, `${s}\u3002`);

const label = fc.oneof(fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/), fc.constantFrom("bücher", "ñandú", "测试", "sub"));

/** One to three labels in front of a domain. */
export const asSubdomain: Transform = (s) => fc.array(label, { minLength: 1, maxLength: 3 }).map((labels) => `${labels.join(".")}.${s}`);

export function variantOf(s: string, transforms: Transform[]): fc.Arbitrary<string> {
  return fc.shuffledSubarray(transforms).chain((chosen) => chosen.reduce((arb, t) => arb.chain(t), fc.constant(s)));
}

export const textTransforms = [withInvisibles, withCaseChanges, withFullwidth, inAnyForm];

/** A listed phone: its market, its E.164 form and its national digits. */
export interface ListedPhone {
  market: string;
  countryCode: string;
  national: string;
  /** How callers in the market dial abroad. */
  exitCode: string;
}

export const phones: ListedPhone[] = [
  { market: "GB", countryCode: "44", national: "07700900123", exitCode: "00" },
  { market: "US", countryCode: "1", national: "2025550123", exitCode: "011" },
  { market: "DE", countryCode: "49", national: "015112345678", exitCode: "00" },
  { market: "FR", countryCode: "33", national: "0612345678", exitCode: "00" },
  { market: "HU", countryCode: "36", national: "06201234567", exitCode: "00" },
];

/** The subscriber digits, without the national trunk prefix ("0" in GB, "06" in HU). */
const subscriber = (p: ListedPhone) => p.national.replace(p.market === "HU" ? /^06/ : /^0/, "");

/** Digits split into groups with spaces, dashes or dots, the first group maybe in brackets. */
const grouped = (digits: string) =>
  fc
    .tuple(fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 6 }), fc.constantFrom(" ", "-", ".", ""), fc.boolean())
    .map(([sizes, sep, bracket]) => {
      const groups: string[] = [];
      let rest = digits;
      for (const n of sizes) {
        if (rest.length <= n) break;
        groups.push(rest.slice(0, n));
        rest = rest.slice(n);
      }
      groups.push(rest);
      if (bracket && groups.length > 1) groups[0] = `(${groups[0]})`;
      return groups.join(sep);
    });

/** The phone written as its owner might: national, "+cc", "(+cc)", or with the market's exit code. */
export function phoneVariant(p: ListedPhone): fc.Arbitrary<string> {
  const forms = fc.oneof(
    grouped(p.national),
    grouped(subscriber(p)).map((rest) => `+${p.countryCode} ${rest}`),
    grouped(subscriber(p)).map((rest) => `(+${p.countryCode}) ${rest}`),
    grouped(`${p.exitCode}${p.countryCode}${subscriber(p)}`),
  );
  return forms.chain((s) => variantOf(s, [withInvisibles, withFullwidth]));
}

/** Another number of the same market: the last digit changed. */
export const otherPhone = (p: ListedPhone): ListedPhone => ({ ...p, national: p.national.slice(0, -1) + ((Number(p.national.at(-1)) + 1) % 10) });

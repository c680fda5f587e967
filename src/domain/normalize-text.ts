/**
 * Characters that change a string without changing what a reader sees: format controls
 * (Unicode category Cf: zero-width space and joiners, word joiner, byte-order mark, soft
 * hyphen, bidirectional marks, tags) and the other default-ignorable code points (variation
 * selectors, the combining grapheme joiner, Hangul fillers).
 */
const invisible = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;

export function stripInvisible(s: string): string {
  return s.replace(invisible, "");
}

/**
 * The text form identity elements (an email's local part) are compared in. Invisible
 * characters go first, so they cannot keep a letter apart from its accent when NFKC
 * composes them. NFKC then folds compatibility forms (fullwidth letters and digits,
 * ligatures, "＠", "．") into the plain ones.
 *
 * Case: `toLowerCase()` is locale-independent (unlike `toLocaleLowerCase`, which in Turkish
 * would make "I" a dotless "ı"). It is not full case folding, on purpose: folding would
 * merge "ß" with "ss" and "ς" with "σ", which mail systems that accept non-ASCII local parts
 * treat as different mailboxes, so it would link different people. The dotless "ı" is a
 * letter of its own and stays distinct from "i"; a dotted "İ" becomes "i" + U+0307. Domains
 * do not rely on this: IDNA maps their case (normalize-domain.ts). NFKC runs again because
 * lower-casing can leave text that is not in normal form.
 */
export function normalizeText(s: string): string {
  return stripInvisible(s).normalize("NFKC").toLowerCase().normalize("NFKC").trim();
}

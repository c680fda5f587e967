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
 * The text form identity elements are compared in. Invisible characters go first, so they
 * cannot keep a letter apart from its accent when NFKC composes them. NFKC then folds
 * compatibility forms (fullwidth letters and digits, ligatures, "＠", "．") into the plain ones.
 *
 * Case: `toLowerCase()` is locale-independent (unlike `toLocaleLowerCase`) and, after NFKC,
 * is the lower-casing step of IDNA2008 (UTS 46, nontransitional), which Node's domainToASCII
 * applies to domains too, so local parts and domains fold alike. Full case folding would
 * also merge "ß" with "ss" and "ς" with "σ"; IDNA2008 keeps them apart and mail systems treat
 * them as different mailboxes, so merging them would link different people. The Turkish
 * dotless "ı" is a letter of its own, not a case variant, and stays distinct; a dotted "İ"
 * becomes "i" + U+0307, as IDNA does. NFKC runs again because lower-casing can leave text
 * that is not in normal form.
 */
export function normalizeText(s: string): string {
  return stripInvisible(s).normalize("NFKC").toLowerCase().normalize("NFKC").trim();
}

import fc from "fast-check";

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const prefix = "sfc_";

/** A token as its prefix and dot-separated segments, so mutations can aim at one segment. */
const partsOf = (token: string) => token.slice(prefix.length).split(".");
const join = (segments: string[]) => prefix + segments.join(".");

/** Another base64url character that decodes to the same bytes: only the unused low bits differ. */
function nonCanonicalLast(segment: string, pick: number): string | undefined {
  const unusedBits = { 2: 4, 3: 2 }[segment.length % 4];
  if (!unusedBits) return undefined;
  const last = alphabet.indexOf(segment.at(-1)!);
  const variants = Array.from({ length: (1 << unusedBits) - 1 }, (_, i) => alphabet[(last & ~((1 << unusedBits) - 1)) | ((last + i + 1) & ((1 << unusedBits) - 1))]!);
  return segment.slice(0, -1) + variants[pick % variants.length];
}

/**
 * Ways an attacker (or a sloppy proxy) changes a valid client token. Each yields a different
 * string, or undefined when it does not apply to this token; none may verify.
 */
export const tokenMutation: fc.Arbitrary<(token: string) => string | undefined> = fc.oneof(
  fc.tuple(fc.nat(), fc.constantFrom("=", "==", "===")).map(([at, pad]) => (t: string) => {
    const s = partsOf(t);
    s[at % s.length] += pad;
    return join(s);
  }),
  fc.tuple(fc.nat(), fc.constantFrom(" ", "\t", "\n", "\r", "\u00a0", "+", "/", "%")).map(([at, c]) => (t: string) => {
    const i = prefix.length + (at % (t.length - prefix.length + 1));
    return t.slice(0, i) + c + t.slice(i);
  }),
  fc.tuple(fc.nat(), fc.stringMatching(/^[A-Za-z0-9_-]{0,12}$/)).map(([at, extra]) => (t: string) => {
    const s = partsOf(t);
    s.splice(at % (s.length + 1), 0, extra);
    return join(s);
  }),
  fc.tuple(fc.nat(), fc.nat()).map(([at, pick]) => (t: string) => {
    const s = partsOf(t);
    const i = at % s.length;
    const changed = nonCanonicalLast(s[i]!, pick);
    if (changed === undefined) return undefined;
    s[i] = changed;
    return join(s);
  }),
  fc.tuple(fc.nat(), fc.nat(alphabet.length - 1)).map(([at, c]) => (t: string) => {
    const i = prefix.length + (at % (t.length - prefix.length));
    return t.slice(0, i) + alphabet[c] + t.slice(i + 1);
  }),
  fc.nat().map((cut) => (t: string) => t.slice(0, prefix.length + (cut % (t.length - prefix.length)))),
  fc.constantFrom(
    (t: string) => t.toUpperCase(),
    (t: string) => t.slice(prefix.length),
    (t: string) => "SFC_" + t.slice(prefix.length),
    (t: string) => t + ".",
    (t: string) => t.replace(".", ".."),
    (t: string) => ` ${t}`,
    (t: string) => `${t} `,
  ),
);

/** The mutated token, or undefined if the mutation left it unchanged or does not apply. */
export function mutate(token: string, mutation: (token: string) => string | undefined): string | undefined {
  const mutated = mutation(token);
  return mutated === token ? undefined : mutated;
}

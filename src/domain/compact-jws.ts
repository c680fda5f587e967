/** Far longer than any client token the service signs (about 250 characters). */
const maxLength = 2_048;
const base64url = /^[A-Za-z0-9_-]+$/;

/**
 * Whether `jws` is a compact JWS in exactly one spelling: three segments, each canonical
 * unpadded base64url. Decoders (jose's included) forgive padding, whitespace and stray low bits
 * in the last character, so without this check one signature would have many spellings that
 * all verify.
 */
export function isCanonicalCompactJws(jws: string): boolean {
  if (jws.length > maxLength) return false;
  const segments = jws.split(".");
  return segments.length === 3 && segments.every(isCanonicalSegment);
}

function isCanonicalSegment(segment: string): boolean {
  return base64url.test(segment) && Buffer.from(segment, "base64url").toString("base64url") === segment;
}

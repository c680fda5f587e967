import { normalizeDomain } from "./normalize-domain.js";
import { normalizeText } from "./normalize-text.js";

export interface NormalEmail {
  /** The address compared and keyed: normalized local part, "@", normalized domain. */
  address: string;
  /** The normalized domain (see normalizeDomain), when the address has one. */
  domain?: string;
}

/** "@" and what NFKC makes "@" of: the fullwidth and the small commercial at. */
const lastAtSign = (s: string) => Math.max(s.lastIndexOf("@"), s.lastIndexOf("\uFF20"), s.lastIndexOf("\uFE6B"));

/**
 * An email address in the one form lists, analyzers and the identity graph compare: the
 * local part by normalizeText, the domain by normalizeDomain, split at the last at sign.
 */
export function normalizeEmail(raw: string | undefined): NormalEmail | undefined {
  if (raw === undefined) return undefined;
  const at = lastAtSign(raw);
  const domain = at < 0 ? undefined : normalizeDomain(raw.slice(at + 1));
  const address = domain ? `${normalizeText(raw.slice(0, at))}@${domain}` : normalizeText(raw);
  return address === "" ? undefined : domain ? { address, domain } : { address };
}

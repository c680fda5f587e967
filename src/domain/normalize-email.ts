import { normalizeDomain } from "./normalize-domain.js";
import { normalizeText } from "./normalize-text.js";

export interface NormalEmail {
  /** The address compared and keyed: normalized local part, "@", normalized domain. */
  address: string;
  /** The normalized domain (see normalizeDomain), when the address has one. */
  domain?: string;
}

/**
 * An email address in the one form lists, analyzers and the identity graph compare. The
 * text is normalized before splitting, so a fullwidth "＠" splits like "@".
 */
export function normalizeEmail(raw: string | undefined): NormalEmail | undefined {
  if (raw === undefined) return undefined;
  const text = normalizeText(raw);
  if (text === "") return undefined;
  const at = text.lastIndexOf("@");
  if (at < 0) return { address: text };
  const domain = normalizeDomain(text.slice(at + 1));
  return domain ? { address: `${text.slice(0, at)}@${domain}`, domain } : { address: text };
}

import { domainToASCII } from "node:url";
import { stripInvisible } from "./normalize-text.js";

/**
 * ASCII characters a host name may hold before IDNA; anything else ASCII ("/", "%", "@",
 * ":", "_", spaces) the URL host parser would read as a path, an escape or a port.
 */
const hostText = /^(?:[A-Za-z0-9.-]|[^\x00-\x7f])+$/;
const label = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const asciiHost = new RegExp(`^(?=.{1,253}$)(?:${label}\\.)*${label}$`);
/** The label separators of IDNA (UTS 46): full stop, ideographic, fullwidth and halfwidth. */
const separators = /[.\u3002\uff0e\uff61]/g;

/**
 * Text before IDNA: invisible characters out, and nothing else. IDNA maps compatibility
 * forms and case its own way (fullwidth letters to plain ones, "ẞ" to "ss", "ϲ" to "σ"),
 * as browsers and resolvers do; NFKC or lower-casing first would change some of those.
 */
const domainText = (raw: string) => stripInvisible(raw).trim();

/**
 * A domain a rule names, in the form rules compare: converted to ASCII by IDNA (UTS 46
 * nontransitional, Node's maintained implementation: "Exämple.com" becomes
 * "xn--exmple-cua.com", "ｍａｉｌ．com" becomes "mail.com"), without trailing dots.
 * Undefined when it is not a valid host name, so a broken entry is dropped rather than
 * matching everything.
 * A numeric last label is refused: the URL parser turns "0x7f.1" into an IPv4 address.
 */
export function normalizeDomainRule(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const text = domainText(raw);
  if (!hostText.test(text)) return undefined;
  const ascii = domainToASCII(text).replace(/\.+$/, "");
  if (!asciiHost.test(ascii) || /^[0-9]+$/.test(ascii.slice(ascii.lastIndexOf(".") + 1))) return undefined;
  return ascii;
}

/**
 * One label to ASCII; IDNA runs only on non-ASCII labels, so "1" never becomes "0.0.0.1".
 * A label IDNA refuses keeps its text as it is: lower-casing it could make a label IDNA
 * accepts ("Ⴀ" to "ⴀ"), and a second pass would then read it differently.
 */
function labelToASCII(text: string): string {
  if (/^[\x00-\x7f]*$/.test(text)) return text.toLowerCase();
  const ascii = hostText.test(text) ? domainToASCII(text) : "";
  return ascii !== "" && !ascii.includes(".") ? ascii : text;
}

/**
 * The domain a session presents, in the form rules are matched against: a valid domain
 * exactly as normalizeDomainRule gives it; otherwise label by label, a label IDNA refuses
 * keeping its text form, so an invalid label in front of a listed domain
 * ("xn--zz.mailinator.com", "a_b.mailinator.com") cannot hide it. Rules are valid domains
 * and match only whole labels, so an invalid domain can match only what it ends with.
 */
export function normalizeDomain(raw: string | undefined): string | undefined {
  const valid = normalizeDomainRule(raw);
  if (valid !== undefined || raw === undefined) return valid;
  const text = domainText(raw).replace(separators, ".").replace(/[.\s]+$/u, "");
  return text === "" ? undefined : text.split(".").map(labelToASCII).join(".");
}

import { isSupportedCountry, parsePhoneNumberFromString } from "libphonenumber-js";
import { stripInvisible } from "./normalize-text.js";

/** A phone as typed, without invisible characters and with fullwidth digits made plain. */
export function phoneText(raw: string): string {
  return stripInvisible(raw).normalize("NFKC").trim();
}

/**
 * A phone number in E.164 ("+447700900123"), read with the session's market as the region
 * of numbers written in national form, so "07700 900123" in GB and "+44 7700-900-123" agree.
 * A number libphonenumber cannot read as a possible number falls back to its digits alone
 * ("447700900123" without a market): still compared exactly, never guessed into a country.
 */
export function normalizePhone(raw: string | undefined, market: string): string | undefined {
  if (raw === undefined) return undefined;
  const text = phoneText(raw);
  const parsed = parsePhoneNumberFromString(text, isSupportedCountry(market) ? { defaultCountry: market } : {});
  if (parsed?.isPossible()) return parsed.number;
  const digits = text.replace(/\D/g, "");
  return digits === "" ? undefined : digits;
}

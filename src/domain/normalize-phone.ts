import { isSupportedCountry, parsePhoneNumberFromString } from "libphonenumber-js";
import { LRUCache } from "lru-cache";
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
  // Parsing took about 13% of a continuing Submit's CPU time, and each one reads the session's phone several
  // times (risk context, risk, lists), as does every later step of the session: results are remembered.
  if (raw.length > maxCachedLength) return parsePhone(raw, market);
  const key = `${market}|${raw}`;
  const known = normalizedPhones.get(key);
  if (known !== undefined) return known === "" ? undefined : known;
  const phone = parsePhone(raw, market);
  normalizedPhones.set(key, phone ?? "");
  return phone;
}

/** Normalized phones by market and text ("" for none); bounded in count and in key length. */
const normalizedPhones = new LRUCache<string, string>({ max: 10_000 });
const maxCachedLength = 64;

function parsePhone(raw: string, market: string): string | undefined {
  const text = phoneText(raw);
  const parsed = parsePhoneNumberFromString(text, isSupportedCountry(market) ? { defaultCountry: market } : {});
  if (parsed?.isPossible()) return parsed.number;
  const digits = text.replace(/\D/g, "");
  return digits === "" ? undefined : digits;
}

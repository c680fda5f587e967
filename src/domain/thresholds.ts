import type { FieldViolation } from "./errors.js";
import { normalizeDomainRule } from "./normalize-domain.js";
import { normalizeEmail } from "./normalize-email.js";
import { normalizePhone, phoneText } from "./normalize-phone.js";

/** Everything a tenant can tune (SPEC §3, seeds/seon-session-management.txt). */
export interface ThresholdValues {
  liveness: number;
  faceMatch: number;
  document: number;
  review: number;
  decline: number;
  warn: number;
  retryBand: number;
  maxRetries: number;
}

export type ThresholdOverride = Partial<ThresholdValues>;

export interface TenantLists {
  denyEmails: string[];
  denyPhones: string[];
  denyDomains: string[];
  denyDeviceIds: string[];
  allowEmails: string[];
  allowPhones: string[];
  allowDomains: string[];
  allowDeviceIds: string[];
}

/** One version of a tenant's configuration; every version is kept as a revision. */
export interface TenantConfig {
  tenantId: string;
  version: number;
  values: ThresholdOverride;
  marketOverrides: Record<string, ThresholdOverride>;
  lists: TenantLists;
  /** Whether front ends may see risk scores and the decision; off unless the tenant turns it on. */
  clientScores?: boolean;
  reason: string;
  principal: string;
  createTime: Date;
}

/** Balanced defaults that work out of the box; "start with defaults, loosen cautiously". */
export const defaultThresholds: ThresholdValues = {
  liveness: 0.8,
  faceMatch: 0.85,
  document: 0.75,
  review: 0.5,
  decline: 0.8,
  warn: 0.5,
  retryBand: 0.1,
  maxRetries: 5,
};

export const emptyLists = (): TenantLists => ({
  denyEmails: [],
  denyPhones: [],
  denyDomains: [],
  denyDeviceIds: [],
  allowEmails: [],
  allowPhones: [],
  allowDomains: [],
  allowDeviceIds: [],
});

const usableEmail = (entry: string) => normalizeDomainRule(normalizeEmail(entry)?.domain) !== undefined;
/** An ASCII digit is enough (digits are the fallback), which spares libphonenumber 10,000 reads. */
const usablePhone = (entry: string) => /[0-9]/.test(phoneText(entry)) || normalizePhone(entry, "") !== undefined;

/** What each kind of entry must be for the normalization (list-rules.ts) to match anything with it. */
const entryChecks = [
  ["Emails", "emails", usableEmail, "must be an email address with a valid domain"],
  ["Domains", "domains", (entry: string) => normalizeDomainRule(entry) !== undefined, "must be a domain name, without wildcards"],
  ["Phones", "phones", usablePhone, "must be a phone number"],
  ["DeviceIds", "device_ids", (entry: string) => entry !== "", "must not be empty"],
] as const;

/**
 * Entries that could never match a session: the risk assessment ignores them rather than
 * let a broken entry match everything, so the tenant should hear of them. Descriptions
 * never quote the entry: it is personal data.
 */
export function listEntryViolations(lists: TenantLists): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const side of ["deny", "allow"] as const) {
    for (const [kind, field, usable, description] of entryChecks) {
      lists[`${side}${kind}`].forEach((entry, i) => {
        if (!usable(entry)) out.push({ field: `lists.${side}_${field}[${i}]`, description });
      });
    }
  }
  return out;
}

/** Version 0: what a tenant has before it changes anything. */
export function initialConfig(tenantId: string): TenantConfig {
  return { tenantId, version: 0, values: {}, marketOverrides: {}, lists: emptyLists(), reason: "built-in defaults", principal: "system", createTime: new Date(0) };
}

/** Defaults, then the tenant's values, then the market's overrides. */
export function effectiveThresholds(config: TenantConfig, market: string, defaults: ThresholdValues = defaultThresholds): ThresholdValues {
  return { ...defaults, ...config.values, ...(market ? config.marketOverrides[market] : undefined) };
}

const fractions = ["liveness", "faceMatch", "document", "review", "decline", "warn", "retryBand"] as const;
const snake: Record<keyof ThresholdValues, string> = {
  liveness: "liveness",
  faceMatch: "face_match",
  document: "document",
  review: "review",
  decline: "decline",
  warn: "warn",
  retryBand: "retry_band",
  maxRetries: "max_retries",
};

/** Problems with one set of values; `path` prefixes the field names. */
export function thresholdViolations(values: ThresholdOverride, path: string): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const key of fractions) {
    const v = values[key];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0 && v <= 1)) out.push({ field: `${path}.${snake[key]}`, description: "must be from 0 to 1" });
  }
  const r = values.maxRetries;
  if (r !== undefined && !(Number.isInteger(r) && r >= 0 && r <= 20)) out.push({ field: `${path}.max_retries`, description: "must be a whole number from 0 to 20" });
  return out;
}

/** Problems with a whole configuration, including every market's effective review/decline order. */
export function configViolations(config: Pick<TenantConfig, "values" | "marketOverrides">): FieldViolation[] {
  const out = thresholdViolations(config.values, "values");
  const check = (market: string, path: string) => {
    const t = effectiveThresholds({ ...initialConfig(""), ...config }, market);
    if (t.review > t.decline) out.push({ field: path, description: "review must not be above decline" });
  };
  check("", "values.review");
  for (const [market, override] of Object.entries(config.marketOverrides)) {
    out.push(...thresholdViolations(override, `market_overrides[${market}]`));
    if (!/^[A-Z]{2}$/.test(market)) out.push({ field: `market_overrides[${market}]`, description: "must be keyed by an ISO 3166-1 alpha-2 code" });
    check(market, `market_overrides[${market}].review`);
  }
  return out;
}

/** Versioned configuration: every version is an immutable revision; the newest is current. */
export interface ConfigurationRepository {
  /** The newest revision, or undefined for a tenant still on the built-in defaults. */
  current(tenantId: string): Promise<TenantConfig | undefined>;
  /** Appends a revision; false, writing nothing, when that version exists already. */
  append(config: TenantConfig): Promise<boolean>;
  /** Revisions newest first, below `beforeVersion` when paging. */
  list(tenantId: string, beforeVersion: number | undefined, limit: number): Promise<TenantConfig[]>;
}

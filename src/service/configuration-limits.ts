import type { UpdateThresholdsRequest } from "../../gen/sessionflow/v1/configuration_service_pb.js";
import { ListsSchema } from "../../gen/sessionflow/v1/thresholds_pb.js";
import { isRegionCode, type Validator } from "./validation.js";

/**
 * Caps on one configuration revision. Every revision is kept, and each is read whole whenever a
 * tenant's risk rules load, so its size is bounded here: 1,000 entries per list is far more
 * than hand-kept lists need, and 256 KiB for all lists together keeps a revision well under the
 * 1 MiB request cap (and far from MongoDB's 16 MiB document limit).
 */
export const configurationLimits = {
  entriesPerList: 1000,
  entryChars: 254,
  listBytes: 256 * 1024,
  reasonChars: 500,
} as const;

const maxVersion = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The checks on an UpdateThresholds request that need no stored state. Field paths never
 * include a map key: it is the caller's value and may be anything.
 */
export function checkConfigurationUpdate(v: Validator, req: UpdateThresholdsRequest): void {
  const limits = configurationLimits;
  v.check(req.expectedVersion >= 0n && req.expectedVersion <= maxVersion, "expected_version", "must be from 0 to 2^53-1");
  v.text(req.reason, "reason", limits.reasonChars);
  // The same rule GetThresholds applies, so every stored override can be read back.
  const markets = Object.keys(req.marketOverrides);
  v.check(markets.every(isRegionCode), "market_overrides", "must be keyed by assigned ISO 3166-1 alpha-2 codes such as GB");
  let bytes = 0;
  for (const field of ListsSchema.fields) {
    const entries = (req.lists?.[field.localName as keyof typeof req.lists] ?? []) as string[];
    v.count(entries, `lists.${field.name}`, limits.entriesPerList);
    entries.slice(0, limits.entriesPerList).forEach((entry, i) => {
      v.check(entry.length > 0, `lists.${field.name}[${i}]`, "must not be empty");
      v.text(entry, `lists.${field.name}[${i}]`, limits.entryChars);
      bytes += Buffer.byteLength(entry);
    });
  }
  v.check(bytes <= limits.listBytes, "lists", `must hold at most ${limits.listBytes / 1024} KiB of entries in total`);
}

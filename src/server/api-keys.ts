import { issueApiKey, scopes, type IssuedKey } from "../domain/api-key.js";
import type { ConfiguredKey } from "../config.js";
import type { Store } from "../domain/store.js";
import { DuplicateKeyError } from "../domain/store.js";

/** Loads the configured keys; a key already stored (restart against a persistent store) is kept. */
export async function loadApiKeys(store: Store, keys: readonly ConfiguredKey[], now: Date): Promise<void> {
  for (const k of keys) {
    try {
      await store.apiKeys.insert({ id: k.id, tenantId: k.tenant, scopes: k.scopes, hash: k.sha256, createTime: now });
    } catch (e) {
      if (!(e instanceof DuplicateKeyError)) throw e;
    }
  }
}

/**
 * A fresh start with no keys at all gets a development tenant with every scope, so the
 * service is usable at once. The secret is returned for printing once and never stored.
 */
export async function ensureDevelopmentKey(store: Store, now: Date): Promise<IssuedKey | undefined> {
  if ((await store.apiKeys.count()) > 0) return undefined;
  const issued = issueApiKey("dev", [...scopes], now);
  await store.apiKeys.insert(issued.key);
  return issued;
}

import { issueApiKey, scopes, type IssuedKey } from "../domain/api-key.js";
import type { ConfiguredKey } from "../config.js";
import type { Store } from "../domain/store.js";

/**
 * Makes the stored keys exactly the configured ones: new keys are added, changed ones updated,
 * and keys no longer configured removed, so that removing a key from SESSIONFLOW_API_KEYS
 * revokes it at the next start (and on replicas still running, once their API key cache entry
 * is older than SESSIONFLOW_API_KEY_CACHE_SECONDS). Returns how many keys were removed.
 */
export async function loadApiKeys(store: Store, keys: readonly ConfiguredKey[], now: Date): Promise<number> {
  const { removed } = await store.apiKeys.replaceAll(keys.map((k) => ({ id: k.id, tenantId: k.tenant, scopes: k.scopes, hash: k.sha256, createTime: now })));
  return removed;
}

/**
 * A fresh start with no keys at all gets a development tenant with every scope, so the
 * service is usable at once. The secret is returned for printing once and never stored.
 * Only for the embedded store: on MongoDB keys must be configured (see config.ts), or a key
 * made once would outlive every configuration.
 */
export async function ensureDevelopmentKey(store: Store, now: Date): Promise<IssuedKey | undefined> {
  if ((await store.apiKeys.count()) > 0) return undefined;
  const issued = issueApiKey("dev", [...scopes], now);
  await store.apiKeys.insert(issued.key);
  return issued;
}

import { LRUCache } from "lru-cache";
import type { ApiKey, ApiKeyRepository } from "../domain/api-key.js";

export interface ApiKeyCache {
  /** The key, if the store returned it less than `freshMs` ago: no round trip. */
  fresh(hash: string): ApiKey | undefined;
  /** Whether the store has returned this key before: a lookup for it is not a guess. */
  known(hash: string): boolean;
  /** Asks the store, and remembers the key or forgets it. */
  lookup(hash: string): Promise<ApiKey | undefined>;
}

export interface ApiKeyCacheOptions {
  apiKeys: ApiKeyRepository;
  freshMs: number;
  now: () => number;
  max?: number;
}

/**
 * Keys the store has returned, by hash. Unknown hashes are not cached: they are what a flood of
 * guesses is made of, so they could only push real keys out; the back-off limits those instead.
 * A key removed from the store is used for at most `freshMs` more.
 */
export function createApiKeyCache({ apiKeys, freshMs, now, max = 10_000 }: ApiKeyCacheOptions): ApiKeyCache {
  const found = new LRUCache<string, { key: ApiKey; at: number }>({ max });
  return {
    fresh(hash) {
      const entry = found.get(hash);
      return entry && now() - entry.at < freshMs ? entry.key : undefined;
    },
    known: (hash) => found.has(hash),
    async lookup(hash) {
      const key = await apiKeys.findByHash(hash);
      if (key) found.set(hash, { key, at: now() });
      else found.delete(hash);
      return key;
    },
  };
}

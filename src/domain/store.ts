import type { ApiKeyRepository } from "./api-key.js";
import type { EventFeed } from "./event-feed.js";
import type { IdentityGraph } from "./identity-graph.js";
import type { SessionRepository } from "./session-repository.js";
import type { ConfigurationRepository } from "./thresholds.js";

export type { ApiKeyRepository } from "./api-key.js";
export type { EventFeed, FeedEvent } from "./event-feed.js";
export type { IdentityGraph } from "./identity-graph.js";
export type { BillableEventQuery, SessionQuery, SessionRepository, UsageQuery } from "./session-repository.js";
export { DuplicateKeyError, StoreUnavailableError } from "./session-repository.js";
export type { ConfigurationRepository } from "./thresholds.js";

/**
 * Everything the rules persist, as one object the composition root picks an implementation of
 * (src/store/memory or src/store/mongo). Each repository is declared beside the type it keeps.
 */
export interface Store {
  readonly sessions: SessionRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly events: EventFeed;
  readonly identity: IdentityGraph;
  readonly configurations: ConfigurationRepository;
  /** Resolves when the backing storage answers; used by readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

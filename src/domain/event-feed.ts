import type { SessionEvent } from "./session.js";

/** A session's lifecycle event as the tenant-wide feed carries it. */
export interface FeedEvent {
  tenantId: string;
  sessionId: string;
  workflow: string;
  /** Position in the tenant's feed. Cursors of one tenant compare as strings in feed order. */
  cursor: string;
  event: SessionEvent;
}

/**
 * The tenant-wide event feed, and the ordering contract every implementation keeps:
 * - each tenant's feed has one total order, and cursors compare as strings in that order;
 * - every committed event enters the feed exactly once, in its session's sequence order;
 * - `stablePoint` splits the feed in two: everything at or below it can be read now, and
 *   everything after it will still be passed to subscribers registered before it is next read.
 */
export interface EventFeed {
  /** The tenant's events after `afterCursor` (from the start when undefined) and at or below `upTo`, oldest first. */
  read(tenantId: string, afterCursor: string | undefined, upTo: string | undefined, limit: number): Promise<FeedEvent[]>;
  /**
   * Where the readable feed ends for every tenant right now (a cursor below every event when
   * none is readable yet): read synchronously, in the same turn as a subscriber registers, so
   * its backlog (read up to here) and its live part (everything after) meet exactly.
   */
  stablePoint(): string;
  /**
   * Undefined when resuming after `cursor` loses nothing; otherwise the oldest cursor the
   * tenant's feed still holds (older events were purged by retention).
   */
  checkResumable(tenantId: string, cursor: string): Promise<{ oldestCursor: string } | undefined>;
  /** Whether a client-supplied cursor has this store's form. */
  isCursor(value: string): boolean;
  /** Whether every committed event is reaching subscribers; false while the feed is down. */
  healthy(): boolean;
  /**
   * Calls `listener` with events appended from now on, all tenants, in feed order, and
   * `onDown` when the feed breaks (events may then be missing until it recovers); returns unsubscribe.
   */
  subscribe(listener: (events: readonly FeedEvent[]) => void, onDown?: (error: Error) => void): () => void;
}

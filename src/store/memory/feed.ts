import type { EventFeed, FeedEvent } from "../../domain/event-feed.js";
import type { Session } from "../../domain/session.js";

export interface MemoryFeedOptions {
  now: () => Date;
  /** How long events are kept for resuming streams, as MongoDB's TTL index keeps them. */
  retentionMs: number;
}

export interface MemoryFeed extends EventFeed {
  /** Appends the events a committed write added, in the same turn as the write. */
  publish(session: Pick<Session, "tenantId" | "id" | "workflow">, events: Session["events"]): void;
  /** Drops every tenant's events older than the retention (reads and appends also drop their tenant's). */
  purge(): void;
}

interface Retained {
  event: FeedEvent;
  at: number;
}

/** Fixed width, so cursors compare as strings in feed order. */
const cursorOf = (n: number) => n.toString().padStart(16, "0");

/**
 * The embedded feed: one sequence number across tenants, so the stable point is simply the
 * last number handed out (every write and its publish happen in one turn of the event loop).
 * Events older than the retention are purged, and the newest purged cursor of each tenant is
 * kept, so a resume from an older cursor is refused precisely instead of skipping silently.
 */
export function createMemoryFeed({ now, retentionMs }: MemoryFeedOptions): MemoryFeed {
  const feeds = new Map<string, Retained[]>(); // tenant -> retained events, oldest first
  const purgedThrough = new Map<string, string>(); // tenant -> newest purged cursor
  const listeners = new Set<{ onEvents: (events: readonly FeedEvent[]) => void }>();
  let last = 0;

  function purge(tenantId: string, at = now().getTime()) {
    const feed = feeds.get(tenantId);
    if (!feed) return;
    const horizon = at - retentionMs;
    let n = 0;
    while (n < feed.length && feed[n]!.at < horizon) n++;
    if (n === 0) return;
    purgedThrough.set(tenantId, feed[n - 1]!.event.cursor);
    feed.splice(0, n);
    if (feed.length === 0) feeds.delete(tenantId);
  }

  /** Index of the first retained event after `cursor` (binary search: cursors are ordered). */
  function firstAfter(feed: Retained[], cursor: string | undefined): number {
    if (cursor === undefined) return 0;
    let lo = 0;
    let hi = feed.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (feed[mid]!.event.cursor <= cursor) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  return {
    publish(session, events) {
      if (events.length === 0) return;
      const at = now().getTime();
      purge(session.tenantId, at);
      let feed = feeds.get(session.tenantId);
      if (!feed) feeds.set(session.tenantId, (feed = []));
      const appended = events.map((event) => ({ tenantId: session.tenantId, sessionId: session.id, workflow: session.workflow, cursor: cursorOf(++last), event }));
      for (const event of appended) feed.push({ event, at });
      for (const listener of listeners) listener.onEvents(appended);
    },
    async read(tenantId, afterCursor, upTo, limit) {
      purge(tenantId);
      const feed = feeds.get(tenantId) ?? [];
      const out: FeedEvent[] = [];
      for (let i = firstAfter(feed, afterCursor); i < feed.length && out.length < limit; i++) {
        const { event } = feed[i]!;
        if (upTo !== undefined && event.cursor > upTo) break;
        out.push(event);
      }
      return out;
    },
    purge() {
      for (const tenantId of [...feeds.keys()]) purge(tenantId);
    },
    stablePoint: () => cursorOf(last),
    async checkResumable(tenantId, cursor) {
      purge(tenantId);
      const purged = purgedThrough.get(tenantId);
      if (purged === undefined || cursor >= purged) return undefined;
      return { oldestCursor: feeds.get(tenantId)?.[0]?.event.cursor ?? cursorOf(last) };
    },
    isCursor: (value) => /^\d{16}$/.test(value),
    healthy: () => true,
    subscribe(onEvents) {
      const listener = { onEvents };
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

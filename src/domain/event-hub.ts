import { DomainError } from "./errors.js";
import type { EventFeed, FeedEvent } from "../store/store.js";

/**
 * Fans the store's event feed out to in-process subscribers. Each subscriber has its own
 * bounded queue: a slow one never blocks the store, RPCs or other subscribers, and one that
 * falls too far behind is ended with SUBSCRIBER_TOO_SLOW so it resumes from its cursor.
 */
export interface EventHub {
  /**
   * Starts a subscription. Events after `afterCursor` are read from the store first (the backlog),
   * then live ones follow, each exactly once and in feed order.
   */
  subscribe(tenantId: string, opts: SubscribeOptions): Subscription;
  /** Open subscriptions per tenant; for metrics and tests. */
  count(tenantId?: string): number;
  close(): void;
}

export interface SubscribeOptions {
  /** Resume point; undefined starts from the tenant's newest event ("from now"), "" from the beginning. */
  afterCursor: string | undefined;
  filter: (event: FeedEvent) => boolean;
  signal: AbortSignal;
}

export interface Subscription extends AsyncIterable<FeedEvent> {
  /** The cursor to resume from: the last event delivered, or passed over by the filter while idle. */
  readonly cursor: string | undefined;
  /** Ends the subscription; needed only when it is never iterated to its end. */
  close(): void;
}

export interface EventHubOptions {
  feed: EventFeed;
  /** Events a subscriber may have queued before it is cut off. */
  maxQueue?: number;
  maxSubscribersPerTenant?: number;
  backlogPage?: number;
}

interface Subscriber {
  filter: (event: FeedEvent) => boolean;
  queue: FeedEvent[];
  overflowed: boolean;
  /** The last event the dispatcher passed over while the queue was empty. */
  passed?: string;
  wake(): void;
}

export function createEventHub({ feed, maxQueue = 1000, maxSubscribersPerTenant = 10_000, backlogPage = 500 }: EventHubOptions): EventHub {
  const tenants = new Map<string, Set<Subscriber>>();
  let total = 0;

  const unsubscribeFeed = feed.subscribe((events) => {
    for (const event of events) {
      const subscribers = tenants.get(event.tenantId);
      if (!subscribers) continue;
      for (const sub of subscribers) {
        if (sub.overflowed) continue;
        if (!sub.filter(event)) {
          if (sub.queue.length === 0) sub.passed = event.cursor;
          continue;
        }
        if (sub.queue.length >= maxQueue) {
          sub.overflowed = true;
          sub.queue.length = 0; // free the memory now; the subscriber resumes from its cursor
        } else {
          sub.queue.push(event);
        }
        sub.wake();
      }
    }
  });

  return {
    subscribe(tenantId, { afterCursor, filter, signal }) {
      let subscribers = tenants.get(tenantId);
      if ((subscribers?.size ?? 0) >= maxSubscribersPerTenant) {
        throw new DomainError("TOO_MANY_STREAMS", `a tenant may hold at most ${maxSubscribersPerTenant} open event streams`);
      }
      if (!subscribers) tenants.set(tenantId, (subscribers = new Set()));
      let wakeUp: (() => void) | undefined;
      const sub: Subscriber = {
        filter,
        queue: [],
        overflowed: false,
        wake: () => {
          wakeUp?.();
          wakeUp = undefined;
        },
      };
      // Register before reading the backlog, so nothing appended in between is missed;
      // events both read and queued are dropped by the cursor check below.
      subscribers.add(sub);
      total++;
      const onAbort = () => sub.wake();
      signal.addEventListener("abort", onAbort, { once: true });

      /** The last cursor delivered (or the resume point before any). */
      let last: string | undefined = afterCursor === "" ? undefined : afterCursor;
      /** Where the next backlog page starts. */
      let readFrom = last;
      const backlog: FeedEvent[] = [];
      // "From now" has no backlog: whatever is dispatched after registration is new.
      let backlogDone = afterCursor === undefined;
      /** For "from now", the feed head at subscription: the resume point until an event is delivered. */
      let floor: string | undefined;
      if (afterCursor === undefined) void feed.head(tenantId).then((h) => (floor = h), () => {});

      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        subscribers!.delete(sub);
        if (subscribers!.size === 0) tenants.delete(tenantId);
        total--;
        signal.removeEventListener("abort", onAbort);
        sub.wake();
      };

      async function fillBacklog(): Promise<void> {
        const page = await feed.read(tenantId, readFrom, backlogPage);
        if (page.length > 0) readFrom = page.at(-1)!.cursor;
        for (const e of page) if (filter(e)) backlog.push(e);
        if (page.length < backlogPage) backlogDone = true;
      }

      const idle = () =>
        new Promise<void>((resolve) => {
          if (signal.aborted || closed || sub.overflowed || sub.queue.length > 0) return resolve();
          wakeUp = resolve;
        });

      return {
        get cursor() {
          const delivered = last ?? floor;
          return sub.queue.length === 0 && sub.passed !== undefined && (delivered === undefined || sub.passed > delivered) ? sub.passed : delivered;
        },
        close,
        async *[Symbol.asyncIterator]() {
          try {
            while (!signal.aborted && !closed) {
              if (!backlogDone && backlog.length === 0) await fillBacklog();
              const next = backlog.shift() ?? (backlogDone ? sub.queue.shift() : undefined);
              if (next) {
                if (last !== undefined && next.cursor <= last) continue;
                last = next.cursor;
                yield next;
                continue;
              }
              if (sub.overflowed) {
                throw new DomainError("SUBSCRIBER_TOO_SLOW", `the stream fell too far behind; resume after cursor ${last ?? ""}`);
              }
              if (backlogDone) await idle();
            }
          } finally {
            close();
          }
        },
      };
    },
    count(tenantId) {
      return tenantId === undefined ? total : (tenants.get(tenantId)?.size ?? 0);
    },
    close() {
      unsubscribeFeed();
    },
  };
}

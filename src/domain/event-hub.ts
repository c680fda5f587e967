import { DomainError } from "./errors.js";
import type { EventFeed, FeedEvent } from "./event-feed.js";
import { createDeliveryBudget, defaultDeliveryRate, type DeliveryRate } from "./delivery-budget.js";
import { createStreamPools } from "./stream-pools.js";
import { createTurnPacer } from "./turn-pacer.js";

/**
 * Fans the store's event feed out to in-process subscribers. Each subscriber has its own
 * bounded queue: a slow one never blocks the store, RPCs or other subscribers, and one that
 * falls too far behind is ended with SUBSCRIBER_TOO_SLOW so it resumes from its cursor.
 * Deliveries are spread over turns of the event loop and paid from the tenant's stream budget
 * (its front ends' from theirs), so one tenant's streams cannot take the loop from the others.
 *
 * The cursor a subscription reports always means "every event of the tenant at or below it was
 * delivered or filtered out", so resuming from it yields exactly the rest (the ordering
 * contract of EventFeed). It only moves past an event once everything before it has gone.
 */
export interface EventHub {
  /**
   * Starts a subscription: events after `afterCursor` are read from the store first (the
   * backlog), then live ones follow, each exactly once and in feed order. Throws
   * FEED_UNAVAILABLE while the feed is down; iterating throws CURSOR_EXPIRED for a cursor older
   * than the retained feed, and FEED_UNAVAILABLE if the feed breaks during the subscription.
   */
  subscribe(tenantId: string, opts: SubscribeOptions): Subscription;
  /** Open subscriptions per tenant; for metrics and tests. */
  count(tenantId?: string): number;
  /**
   * A place among this turn's stream messages, for a message a stream sends on its own (a
   * heartbeat): undefined when there is one now, or a promise that resolves with one later.
   */
  pace(): Promise<void> | undefined;
  close(): void;
}

export interface SubscribeOptions {
  /** Resume point; undefined starts from now, "" from the beginning of the retained feed. */
  afterCursor: string | undefined;
  filter: (event: FeedEvent) => boolean;
  signal: AbortSignal;
  /** The session of the front end's client token that opens the stream; it then counts against the front-end pools (see StreamPools). */
  clientSession?: string;
}

export interface Subscription extends AsyncIterable<FeedEvent> {
  /** Where to resume: everything at or below it was delivered or filtered out; "" for the beginning. */
  readonly cursor: string;
  /** Ends the subscription; needed only when it is never iterated to its end. */
  close(): void;
}

export interface EventHubOptions {
  feed: EventFeed;
  /** Events a subscriber may have queued before it is cut off. */
  maxQueue?: number;
  maxSubscribersPerTenant?: number;
  /** Streams all of a tenant's front ends may hold together, apart from the tenant's own. */
  maxClientSubscribersPerTenant?: number;
  /** Streams one session's front ends may hold. */
  maxClientSubscribersPerSession?: number;
  /** Messages a tenant's streams may be sent, together; its front ends' streams have a budget of the same size of their own. */
  deliveries?: DeliveryRate;
  backlogPage?: number;
}

interface Subscriber {
  filter: (event: FeedEvent) => boolean;
  queue: FeedEvent[];
  /** The resume point (see Subscription.cursor). */
  position: string | undefined;
  /** True once the backlog is delivered: only then may a filtered-out live event move the position. */
  live: boolean;
  /** Why the subscription must end, once it must. */
  failure?: DomainError;
  wake(): void;
}

const resumeMetadata = (position: string | undefined) => ({ resume_cursor: position ?? "" });

/** Messages all streams together send per turn of the event loop: each is mapped, encoded and written. */
const deliveriesPerTurn = 8;

export function createEventHub(opts: EventHubOptions): EventHub {
  const { feed, maxQueue = 1000, backlogPage = 500 } = opts;
  const pools = createStreamPools({
    perTenant: opts.maxSubscribersPerTenant ?? 10_000,
    clientPerTenant: opts.maxClientSubscribersPerTenant ?? 2_000,
    clientPerSession: opts.maxClientSubscribersPerSession ?? 4,
  });
  // Room for a few consumers of every event at a tenant's default call rate (500 calls a second, each adding a few events).
  const budget = createDeliveryBudget(opts.deliveries ?? defaultDeliveryRate);
  const tenants = new Map<string, Set<Subscriber>>();
  let total = 0;
  // Deliveries are spread over turns of the event loop, so an event for thousands of streams, or
  // thousands of streams whose writes completed at once, let other calls run in between.
  const pacer = createTurnPacer(deliveriesPerTurn);

  const dispatch = (events: readonly FeedEvent[]) => {
    for (const event of events) {
      const subscribers = tenants.get(event.tenantId);
      if (!subscribers) continue;
      for (const sub of subscribers) {
        if (sub.failure) continue;
        if (!sub.filter(event)) {
          const after = sub.position === undefined || event.cursor > sub.position;
          if (sub.live && sub.queue.length === 0 && after) sub.position = event.cursor;
          continue;
        }
        if (sub.queue.length >= maxQueue) {
          sub.failure = new DomainError("SUBSCRIBER_TOO_SLOW", "the stream fell too far behind; resume from its cursor", [], resumeMetadata(sub.position));
          sub.queue.length = 0; // free the memory now; the subscriber resumes from its cursor
        } else {
          sub.queue.push(event);
        }
        sub.wake();
      }
    }
  };
  const down = () => {
    for (const subscribers of tenants.values()) {
      for (const sub of subscribers) {
        sub.failure ??= feedDown(sub.position);
        sub.wake();
      }
    }
  };
  const unsubscribeFeed = feed.subscribe(dispatch, down);

  return {
    subscribe(tenantId, { afterCursor, filter, signal, clientSession }) {
      if (!feed.healthy()) throw feedDown(afterCursor);
      const release = pools.acquire(tenantId, clientSession);
      const budgetKey = clientSession === undefined ? `tenant|${tenantId}` : `client|${tenantId}`;
      let subscribers = tenants.get(tenantId);
      if (!subscribers) tenants.set(tenantId, (subscribers = new Set()));
      // Registered in the same turn as the stable point is read: every event after it reaches
      // the queue, every event at or below it is readable, so backlog and live meet exactly.
      const stable = feed.stablePoint();
      let wakeUp: (() => void) | undefined;
      const start = afterCursor === undefined ? stable : afterCursor === "" ? undefined : afterCursor;
      const sub: Subscriber = {
        filter,
        queue: [],
        position: start,
        live: start !== undefined && start >= stable,
        wake: () => {
          wakeUp?.();
          wakeUp = undefined;
        },
      };
      subscribers.add(sub);
      total++;
      const onAbort = () => sub.wake();
      signal.addEventListener("abort", onAbort, { once: true });

      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        release();
        subscribers!.delete(sub);
        if (subscribers!.size === 0) tenants.delete(tenantId);
        total--;
        signal.removeEventListener("abort", onAbort);
        sub.wake();
      };
      const ended = () => signal.aborted || closed;
      const idle = () =>
        new Promise<void>((resolve) => {
          if (ended() || sub.failure || sub.queue.length > 0) return resolve();
          wakeUp = resolve;
        });

      /** The backlog: everything after the start and at or below the stable point, page by page. */
      async function* backlog(): AsyncGenerator<FeedEvent> {
        if (afterCursor) {
          const expired = await feed.checkResumable(tenantId, afterCursor);
          if (expired) {
            throw new DomainError("CURSOR_EXPIRED", "the cursor is older than the retained events; resume from the oldest cursor or from the beginning", [], {
              oldest_cursor: expired.oldestCursor,
            });
          }
        }
        let from = start;
        for (;;) {
          const page = await feed.read(tenantId, from, stable, backlogPage);
          for (const event of page) {
            if (ended() || sub.failure) return;
            const wanted = filter(event);
            if (wanted) {
              // Paid for before the position moves: a heartbeat meanwhile must not claim the event.
              await budget.take(budgetKey);
              await pacer.place();
              if (ended() || sub.failure) return;
            }
            from = event.cursor;
            // Set before the yield: once the consumer holds the event it counts as delivered.
            sub.position = event.cursor;
            if (wanted) yield event;
          }
          if (page.length < backlogPage) break;
        }
        if (sub.position === undefined || stable > sub.position) sub.position = stable;
        sub.live = true;
      }

      return {
        get cursor() {
          return sub.position ?? "";
        },
        close,
        async *[Symbol.asyncIterator]() {
          try {
            if (!sub.live) yield* backlog();
            while (!ended()) {
              if (sub.failure) throw sub.failure;
              if (sub.queue.length === 0) {
                await idle();
                continue;
              }
              // Paid before it leaves the queue: a stream over budget falls behind, and in time too far.
              const wait = budget.take(budgetKey);
              if (wait) await wait;
              const place = pacer.place();
              if (place) await place;
              const next = sub.queue.shift();
              if (!next) continue;
              if (sub.position !== undefined && next.cursor <= sub.position) continue;
              sub.position = next.cursor;
              yield next;
            }
          } finally {
            close();
          }
        },
      };
    },
    pace: () => pacer.place(),
    count(tenantId) {
      return tenantId === undefined ? total : (tenants.get(tenantId)?.size ?? 0);
    },
    close() {
      unsubscribeFeed();
    },
  };
}

function feedDown(position: string | undefined): DomainError {
  return new DomainError(
    "FEED_UNAVAILABLE",
    "this replica's event feed is down, so the stream could miss events; resume from its cursor on a ready replica",
    [],
    resumeMetadata(position),
  );
}

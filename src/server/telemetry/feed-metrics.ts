import type { Clock } from "../../domain/clock.js";
import type { EventFeed } from "../../domain/event-feed.js";
import type { Metrics } from "./metrics.js";

/**
 * Watches this replica's event feed: how long each event took from its creation to arriving
 * here (on MongoDB, the write and the change stream together), and each time the feed breaks.
 * Returns the unsubscribe function.
 */
export function watchFeed(feed: EventFeed, metrics: Metrics, clock: Clock): () => void {
  return feed.subscribe(
    (events) => {
      const now = clock.now().getTime();
      for (const { event } of events) metrics.feedDelivered((now - event.time.getTime()) / 1000);
    },
    () => metrics.feedWentDown(),
  );
}

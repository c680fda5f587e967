import { setMaxListeners } from "node:events";
import { runActor } from "./actors.js";
import type { Tenant } from "./cluster.js";
import type { History } from "./history.js";
import type { CheckThresholds } from "./model.js";
import type { Random } from "./random.js";
import type { Rpc } from "./rpc.js";
import { noteSession, runFeedWatcher, runSessionWatcher, type Sightings } from "./subscribers.js";

export interface WorkloadDeps {
  random: Random;
  rpc: Rpc;
  history: History;
  tenants: readonly Tenant[];
  thresholds: ReadonlyMap<string, CheckThresholds>;
  sightings: Sightings;
  actors: number;
  sessionWatchers: number;
  feedWatchers: number;
}

export interface Workload {
  /** Stops the actors (each finishes its call in flight) and calms the subscribers; resolves when the actors are done or after `graceMs`. */
  stopActors(graceMs: number): Promise<boolean>;
  /** Ends every stream; resolves when the subscribers are done or after `graceMs`. */
  stopSubscribers(graceMs: number): Promise<boolean>;
}

const within = (work: Promise<unknown>, ms: number) =>
  Promise.race([work.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]);

/**
 * Starts the actors and subscribers. Each gets its own random stream forked here, in a fixed
 * order, so their choices follow from the seed alone.
 */
export function startWorkload(d: WorkloadDeps): Workload {
  const calm = new AbortController();
  const stop = new AbortController();
  // Every actor and stream listens on these two signals: many listeners by design, not a leak.
  setMaxListeners(0, calm.signal, stop.signal);
  const registry = { add: (tenant: string, id: string) => noteSession(d.sightings, tenant, id) };
  const subscriberDeps = (id: string) => ({ id, random: d.random.fork(), rpc: d.rpc, history: d.history, tenants: d.tenants, sightings: d.sightings, calm: calm.signal, stop: stop.signal });
  const subscribers = [
    ...Array.from({ length: d.sessionWatchers }, (_, i) => runSessionWatcher(subscriberDeps(`ws${i}`))),
    ...Array.from({ length: d.feedWatchers }, (_, i) => runFeedWatcher(subscriberDeps(`we${i}`))),
  ];
  const actors = Array.from({ length: d.actors }, (_, i) =>
    runActor({ id: `a${i}`, random: d.random.fork(), rpc: d.rpc, history: d.history, tenants: d.tenants, thresholds: d.thresholds, registry, stop: calm.signal }),
  );
  return {
    stopActors(graceMs) {
      calm.abort();
      return within(Promise.all(actors), graceMs);
    },
    stopSubscribers(graceMs) {
      stop.abort();
      return within(Promise.all(subscribers), graceMs);
    },
  };
}

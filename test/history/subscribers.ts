import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { LifecycleEventType } from "../../gen/sessionflow/v1/event_pb.js";
import type { Tenant } from "./cluster.js";
import type { History, StreamSegment, Subscription } from "./history.js";
import type { Random } from "./random.js";
import type { Endpoint, Rpc } from "./rpc.js";

/** Sessions and cursors seen so far, per tenant: what subscribers choose from. */
export interface Sightings {
  sessions: Map<string, string[]>;
  cursors: Map<string, string[]>;
}

export const createSightings = (): Sightings => ({ sessions: new Map(), cursors: new Map() });

const note = (map: Map<string, string[]>, tenant: string, value: string, cap = 5000) => {
  const list = map.get(tenant) ?? [];
  if (list.length < cap) list.push(value);
  map.set(tenant, list);
};
export const noteSession = (s: Sightings, tenant: string, id: string) => note(s.sessions, tenant, id);

export interface SubscriberDeps {
  id: string;
  random: Random;
  rpc: Rpc;
  history: History;
  tenants: readonly Tenant[];
  sightings: Sightings;
  /** Aborted when the workload stops: subscribers stop dropping streams and starting new subscriptions. */
  calm: AbortSignal;
  /** Aborted when the checker has what it needs: every stream ends. */
  stop: AbortSignal;
}

const terminal = new Set(["RESOLVED", "FAILED"]);
const eventTypes = Object.keys(LifecycleEventType).filter((k) => Number.isNaN(Number(k)) && k !== "UNSPECIFIED");
/**
 * Types few events have. A stream filtered to them replays long stretches of the feed without
 * delivering anything, so heartbeats fall due while the backlog is still being read.
 */
const rareTypes = ["REPLACED", "TRANSFERRED", "AUTHENTICATED", "ACKNOWLEDGEMENT"];

/**
 * Runs one stream: records every message, drops it after a random number of messages or
 * milliseconds while the workload runs (never once it is calm), and says how it ended.
 */
async function stream(
  d: SubscriberDeps,
  segment: StreamSegment,
  open: (signal: AbortSignal) => AsyncIterable<{ record: () => void; last: boolean }>,
): Promise<void> {
  const controller = new AbortController();
  const cutAfter = d.random.int(1, 40);
  let cutByUs = false;
  const cut = () => {
    cutByUs = true;
    controller.abort();
  };
  const stopNow = () => controller.abort();
  const timer = setTimeout(() => !d.calm.aborted && cut(), d.random.int(50, 2000));
  d.stop.addEventListener("abort", stopNow, { once: true });
  let count = 0;
  try {
    for await (const message of open(controller.signal)) {
      message.record();
      if (message.last) break;
      if (++count >= cutAfter && !d.calm.aborted) {
        cut();
        break;
      }
    }
    segment.end = { how: cutByUs ? "cut" : "end", atMs: Date.now() };
  } catch (e) {
    const error = ConnectError.from(e);
    if (controller.signal.aborted && error.code === Code.Canceled) {
      segment.end = { how: "cut", atMs: Date.now() };
    } else {
      segment.end = {
        how: "error",
        code: Code[error.code] ?? String(error.code),
        reason: error.findDetails(ErrorInfoSchema)[0]?.reason ?? "",
        message: error.rawMessage.slice(0, 200),
        atMs: Date.now(),
      };
    }
  } finally {
    clearTimeout(timer);
    d.stop.removeEventListener("abort", stopNow);
  }
}

/** The stream's id (subscription and segment index) travels as x-request-id, so what a server logs about it can be traced. */
const headersFor = (tenant: Tenant, sub: Subscription) => ({ authorization: `Bearer ${tenant.key}`, "x-request-id": `${sub.id}.${sub.segments.length - 1}` });

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Watches random sessions with WatchSession, resuming each from the last sequence it received,
 * until the stream ends at the session's terminal event or the subscriber moves on.
 */
export async function runSessionWatcher(d: SubscriberDeps): Promise<void> {
  for (let n = 0; !d.calm.aborted; n++) {
    const tenant = d.random.pick(d.tenants);
    const seen = d.sightings.sessions.get(tenant.id) ?? [];
    if (seen.length === 0) {
      await pause(50);
      continue;
    }
    const sessionId = d.random.pick(seen.slice(-200));
    const sub = d.history.subscription({ id: `${d.id}.${n}`, tenant: tenant.id, kind: "WatchSession", sessionId });
    let after = d.random.chance(0.75) ? 0 : d.random.int(1, 3);
    let done = false;
    // Moves on after a while, so sessions that stay open long do not hold the watcher.
    const giveUpAt = Date.now() + d.random.int(300, 4000);
    for (let attempt = 0; attempt < 100 && !done && !d.stop.aborted; attempt++) {
      if (!d.calm.aborted && Date.now() > giveUpAt) break;
      const endpoint: Endpoint = d.rpc.pick(d.random);
      const segment: StreamSegment = { startMs: Date.now(), instance: endpoint.instance, protocol: endpoint.protocol, after: String(after), deliveries: [] };
      sub.segments.push(segment);
      await stream(d, segment, (signal) =>
        mapStream(
          endpoint.services.events.watchSession({ sessionId, afterSequence: BigInt(after) }, { signal, headers: headersFor(tenant, sub) }),
          (r) => {
            const e = r.event!;
            const type = LifecycleEventType[e.type] ?? String(e.type);
            return {
              last: terminal.has(type),
              record: () => {
                segment.deliveries.push({ kind: "event", sessionId: e.sessionId, sequence: Number(e.sequence), cursor: e.cursor, type, atMs: Date.now() });
                after = Number(e.sequence);
                if (terminal.has(type)) done = true;
              },
            };
          },
        ),
      );
      if (segment.end?.how === "end") done = true;
      if (segment.end?.how === "error") await pause(20);
    }
    close(sub, done ? "terminal" : d.stop.aborted ? "stopped" : "moved-on");
  }
}

/**
 * Watches a tenant's feed with WatchEvents, with a random filter, from the beginning, from now
 * or from a cursor seen earlier; each drop resumes from the last event's or heartbeat's cursor.
 */
export async function runFeedWatcher(d: SubscriberDeps): Promise<void> {
  for (let n = 0; !d.calm.aborted; n++) {
    const tenant = d.random.pick(d.tenants);
    const shape = d.random.weighted([["all", 25], ["workflow", 25], ["types", 30], ["both", 20]] as const);
    const workflow = shape === "workflow" || shape === "both" ? d.random.pick(tenant.workflows) : undefined;
    const types =
      shape === "types" || shape === "both"
        ? [...new Set(Array.from({ length: d.random.int(1, 2) }, () => (d.random.chance(0.6) ? d.random.pick(rareTypes) : d.random.pick(eventTypes))))]
        : undefined;
    const sub = d.history.subscription({
      id: `${d.id}.${n}`,
      tenant: tenant.id,
      kind: "WatchEvents",
      filter: { ...(workflow ? { workflow } : {}), ...(types ? { types } : {}) },
    });
    const known = d.sightings.cursors.get(tenant.id) ?? [];
    // Replays from the beginning or an old cursor read a long backlog once the feed has grown.
    const start = d.random.weighted([["beginning", 40], ["now", 25], ["cursor", 35]] as const);
    let cursor: string | undefined = start === "cursor" && known.length > 0 ? d.random.pick(known) : undefined;
    const fromBeginning = start === "beginning" || (start === "cursor" && cursor === undefined);
    const giveUpAt = Date.now() + d.random.int(300, 3000);
    for (let attempt = 0; attempt < 200 && !d.stop.aborted; attempt++) {
      if (!d.calm.aborted && Date.now() > giveUpAt) break;
      const endpoint = d.rpc.pick(d.random);
      const segment: StreamSegment = {
        startMs: Date.now(),
        instance: endpoint.instance,
        protocol: endpoint.protocol,
        ...(cursor !== undefined ? { after: cursor } : fromBeginning ? { after: "", fromBeginning: true } : {}),
        deliveries: [],
      };
      sub.segments.push(segment);
      const request = {
        filter: { workflow: workflow ?? "", types: (types ?? []).map((t) => LifecycleEventType[t as keyof typeof LifecycleEventType]) },
        afterCursor: cursor ?? "",
        fromBeginning: cursor === undefined && fromBeginning,
      };
      await stream(d, segment, (signal) =>
        mapStream(endpoint.services.events.watchEvents(request, { signal, headers: headersFor(tenant, sub) }), (r) => {
          if (r.kind.case === "heartbeat") {
            const beat = r.kind.value;
            return {
              last: false,
              record: () => {
                segment.deliveries.push({ kind: "heartbeat", cursor: beat.cursor, atMs: Date.now() });
                if (beat.cursor) cursor = beat.cursor;
              },
            };
          }
          const e = r.kind.value!;
          return {
            last: false,
            record: () => {
              const type = LifecycleEventType[e.type] ?? String(e.type);
              segment.deliveries.push({ kind: "event", sessionId: e.sessionId, sequence: Number(e.sequence), cursor: e.cursor, type, atMs: Date.now() });
              cursor = e.cursor;
              if (d.random.chance(0.05)) note(d.sightings.cursors, tenant.id, e.cursor);
            },
          };
        }),
      );
      if (segment.end?.how === "error") await pause(20);
    }
    close(sub, d.stop.aborted ? "stopped" : "moved-on");
  }
}

/** Ends a logical subscription; one still streaming when the checker stopped it is expected to have caught up. */
function close(sub: Subscription, why: NonNullable<Subscription["closed"]>["why"]) {
  sub.closed = { atMs: Date.now(), why };
}

async function* mapStream<R, M>(source: AsyncIterable<R>, map: (r: R) => M): AsyncIterable<M> {
  for await (const r of source) yield map(r);
}

import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { Clock } from "../domain/clock.js";
import { DomainError } from "../domain/errors.js";
import type { EventHub } from "../domain/event-hub.js";
import type { SessionUseCases } from "../domain/sessions.js";
import { terminalEventTypes, type EventType } from "../domain/session.js";
import type { FeedEvent } from "../domain/store.js";
import { EventService, WatchEventsResponseSchema } from "../../gen/sessionflow/v1/event_service_pb.js";
import type { Viewer } from "./client-view.js";
import { deadlinePassed, principalFor, principalOf } from "./context.js";
import { eventToProto, eventTypeFromProto, feedEventToProto } from "./mapping.js";
import { createValidator, isWorkflowName } from "./validation.js";

export interface EventServiceOptions {
  sessions: SessionUseCases;
  hub: EventHub;
  clock: Clock;
  /** Idle WatchEvents streams get a heartbeat this often. */
  heartbeatMs: number;
  /** True once the server is draining: streams then end with UNAVAILABLE so clients resume elsewhere. */
  shuttingDown: () => boolean;
  isCursor: (value: string) => boolean;
  viewer: Viewer;
}

const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);

export function createEventService(opts: EventServiceOptions): ServiceImpl<typeof EventService> {
  const { sessions, hub, heartbeatMs } = opts;
  /**
   * A stream that ends without its terminal event must not end cleanly: for WatchSession a clean
   * end means the terminal event came. Draining and a passed deadline end it with an error saying
   * where to resume; a client that cancelled is gone, so nothing is sent.
   */
  const endIfStopped = (ctx: HandlerContext, resume: Record<string, string>) => {
    if (opts.shuttingDown()) throw new DomainError("SHUTTING_DOWN", "the server is shutting down; resume the stream", [], resume);
    if (deadlinePassed(ctx.signal)) {
      throw new DomainError("DEADLINE_EXCEEDED", "the stream's deadline passed; resume the stream", [], resume);
    }
  };
  /** A WatchSession resumes by sequence, so its errors say which sequence to resume after. */
  const bySequence = (last: number) => ({ resume_after_sequence: String(last) });

  return {
    async *watchSession(req, ctx) {
      const { tenantId, sessionId: clientSession } = principalFor(ctx, req.sessionId);
      const view = await opts.viewer(ctx);
      const v = createValidator();
      v.uuid(req.sessionId, "session_id", true);
      v.check(req.afterSequence >= 0n && req.afterSequence <= maxSafe, "after_sequence", "must be from 0 to 2^53-1");
      v.throwIfInvalid();
      const id = req.sessionId.toLowerCase();
      // Subscribe before reading the session, so no event falls between the replay and the live part.
      const live = hub.subscribe(tenantId, { afterCursor: undefined, filter: (e) => e.sessionId === id, signal: ctx.signal, ...(clientSession ? { clientSession } : {}) });
      let last = Number(req.afterSequence);
      try {
        const { session } = await sessions.get(tenantId, id);
        for (const event of session.events) {
          if (event.sequence <= last) continue;
          last = event.sequence;
          yield { event: view.event(eventToProto(session.id, session.workflow, "", event)) };
          if (terminalEventTypes.has(event.type)) return;
        }
        for await (const fe of live) {
          if (fe.event.sequence <= last) continue;
          last = fe.event.sequence;
          yield { event: view.event(feedEventToProto(fe)) };
          if (terminalEventTypes.has(fe.event.type)) return;
        }
        endIfStopped(ctx, bySequence(last));
      } catch (e) {
        if (e instanceof DomainError && e.metadata["resume_cursor"] !== undefined) {
          throw new DomainError(e.reason, e.message, e.violations, bySequence(last));
        }
        throw e;
      } finally {
        live.close();
      }
    },

    async *watchEvents(req, ctx) {
      const { tenantId, sessionId: clientSession } = principalOf(ctx);
      const v = createValidator();
      const workflow = req.filter?.workflow ?? "";
      v.check(workflow === "" || isWorkflowName(workflow), "filter.workflow", "must be a workflow name");
      const types = new Set<EventType>();
      v.count(req.filter?.types ?? [], "filter.types", eventTypeFromProto.size);
      (req.filter?.types ?? []).forEach((t, i) => {
        const type = eventTypeFromProto.get(t);
        v.check(type !== undefined, `filter.types[${i}]`, "must be a known event type");
        if (type) types.add(type);
      });
      v.check(req.afterCursor === "" || opts.isCursor(req.afterCursor), "after_cursor", "must be a cursor from an earlier event or heartbeat");
      v.throwIfInvalid();

      const filter = (e: FeedEvent) => (workflow === "" || e.workflow === workflow) && (types.size === 0 || types.has(e.event.type));
      const afterCursor = req.afterCursor !== "" ? req.afterCursor : req.fromBeginning ? "" : undefined;
      const subscription = hub.subscribe(tenantId, { afterCursor, filter, signal: ctx.signal, ...(clientSession ? { clientSession } : {}) });
      const events = subscription[Symbol.asyncIterator]();
      try {
        let pending = events.next();
        for (;;) {
          let timer: NodeJS.Timeout | undefined;
          const beat = new Promise<"beat">((resolve) => (timer = setTimeout(() => resolve("beat"), heartbeatMs)));
          const next = await Promise.race([pending, beat]).finally(() => clearTimeout(timer));
          if (next === "beat") {
            // Read now: while the heartbeat waits its turn, the pending event may arrive and move the cursor past it.
            const cursor = subscription.cursor;
            // Heartbeats take their turn with event messages: a thousand idle streams beat together.
            const place = hub.pace();
            if (place) await place;
            yield create(WatchEventsResponseSchema, {
              kind: { case: "heartbeat", value: { time: timestampFromDate(opts.clock.now()), cursor } },
            });
            continue;
          }
          if (next.done) break;
          yield create(WatchEventsResponseSchema, { kind: { case: "event", value: feedEventToProto(next.value) } });
          pending = events.next();
        }
        endIfStopped(ctx, { resume_cursor: subscription.cursor });
      } finally {
        subscription.close();
        void events.return?.(undefined);
      }
    },
  };
}

import type { ServiceImpl } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/health/v1/health_pb.js";
import { DomainError } from "../domain/errors.js";
import { connectErrorOf, reasonError } from "../service/connect-errors.js";
import { deadlinePassed } from "../service/context.js";

export { Status as ServingStatus };

/**
 * Serving status per service name ("" is the whole server), shared by the grpc.health.v1
 * service and the plain HTTP probes, with change notification for Watch.
 */
export interface HealthState {
  set(service: string, status: Status): void;
  get(service: string): Status | undefined;
  all(): Map<string, Status>;
  /** Calls `listener` on every change until the returned function is called. */
  subscribe(listener: (service: string, status: Status) => void): () => void;
}

export function createHealthState(services: readonly string[]): HealthState {
  const statuses = new Map<string, Status>([["", Status.SERVING], ...services.map((s) => [s, Status.SERVING] as const)]);
  const listeners = new Set<(service: string, status: Status) => void>();
  return {
    set(service, status) {
      if (statuses.get(service) === status) return;
      statuses.set(service, status);
      for (const l of listeners) l(service, status);
    },
    get: (service) => statuses.get(service),
    all: () => new Map(statuses),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * Watch needs no credentials, so the number of open watches is capped per process: each holds a
 * stream and its buffers until the client leaves.
 */
export function createHealthService(state: HealthState, maxWatches = 1_000): ServiceImpl<typeof Health> {
  let watches = 0;
  return {
    check(req) {
      const status = state.get(req.service);
      if (status === undefined) throw reasonError("SESSION_NOT_FOUND", "unknown service");
      return { status };
    },
    list() {
      return { statuses: Object.fromEntries([...state.all()].map(([name, status]) => [name, { status }])) };
    },
    async *watch(req, ctx) {
      if (watches >= maxWatches) {
        throw connectErrorOf(new DomainError("TOO_MANY_STREAMS", `at most ${maxWatches} health watches may be open`, [], { limit: "health_watches", max: String(maxWatches) }));
      }
      // Per the health protocol, an unknown service is reported, not refused, and may appear later.
      let pending: Status = state.get(req.service) ?? Status.SERVICE_UNKNOWN;
      let wake: (() => void) | undefined;
      const unsubscribe = state.subscribe((service, status) => {
        if (service !== req.service) return;
        pending = status;
        wake?.();
      });
      const aborted = new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
      watches++;
      try {
        let last: Status | undefined;
        while (!ctx.signal.aborted) {
          if (pending !== last) {
            last = pending;
            yield { status: pending };
          }
          await Promise.race([new Promise<void>((resolve) => (wake = resolve)), aborted]);
        }
        // A clean end tells a watcher the server hung up; a passed deadline is the caller's own.
        if (deadlinePassed(ctx.signal)) {
          throw connectErrorOf(new DomainError("DEADLINE_EXCEEDED", "the watch's deadline passed; watch again"));
        }
      } finally {
        watches--;
        unsubscribe();
      }
    },
  };
}

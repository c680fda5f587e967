import type { Store } from "../domain/store.js";
import { ServingStatus, type HealthState } from "./health.js";
import type { RequestHandler } from "./one-port.js";

/**
 * Plain HTTP probes beside the RPCs, for load balancers and orchestrators that do not speak
 * gRPC: /healthz is liveness (the process answers), /readyz is readiness (serving, the store
 * answers, and the event feed is up: a replica whose feed is down could not deliver every event).
 */
export function createProbes({ health, store }: { health: HealthState; store: Store }): RequestHandler {
  return (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    const reply = (status: number, body: string) => {
      res.statusCode = status;
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      res.end(body + "\n");
    };
    if (path === "/healthz") return reply(200, "ok");
    if (path === "/readyz") {
      if (health.get("") !== ServingStatus.SERVING) return reply(503, "shutting down");
      if (!store.events.healthy()) return reply(503, "event feed down");
      store.ping().then(
        () => reply(200, "ready"),
        () => reply(503, "store unavailable"),
      );
      return;
    }
    reply(404, "not found");
  };
}

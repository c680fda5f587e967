import { collectDefaultMetrics, Registry } from "prom-client";

let shared: Registry | undefined;

/**
 * prom-client's default metrics (CPU, memory, heap, GC, event-loop delay, handles) describe the
 * process, not one app, and collecting them starts process-wide monitors (an event-loop delay
 * histogram, a GC observer) that are never stopped. So they live in one registry per process,
 * made on first use, which every app's /metrics appends to its own.
 */
export function processRegistry(): Registry {
  if (!shared) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}

import { describe, expect, it } from "vitest";
import type { Session, SessionEvent } from "../../src/domain/session.js";
import { createMetrics } from "../../src/server/telemetry/metrics.js";
import { observeStore } from "../../src/server/telemetry/observed-store.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";
import { parseExposition, valueOf } from "../support/prometheus.js";

const check = (outcome: "RETRY" | "FAILED"): SessionEvent => ({
  sequence: 2,
  type: "CHECK",
  time: new Date(),
  state: "OPEN",
  check: { id: "c1", type: "LIVENESS", score: 0.7, outcome, vendor: "v", reportTime: new Date(), threshold: 0.8 },
});

describe("the observed store", () => {
  it("counts only what a committed write published: nothing for a lost version race, nothing twice", async () => {
    const metrics = createMetrics({ feedHealthy: () => true });
    let wins = false;
    const inner = createMemoryStore();
    const store = observeStore({ ...inner, sessions: { ...inner.sessions, update: async () => wins } }, { metrics });
    const opened: SessionEvent = { sequence: 1, type: "OPENED", time: new Date(), state: "OPEN" };
    const previous = { origin: "SUBMISSION", decision: { decision: "PENDING" }, events: [opened] } as unknown as Session;
    const next = { ...previous, events: [opened, check("RETRY")] };

    expect(await store.sessions.update(next, previous)).toBe(false); // another writer got there first
    let m = parseExposition(await metrics.exposition());
    expect(valueOf(m, "sessionflow_forced_retries_total")).toBe(0);

    wins = true;
    expect(await store.sessions.update(next, previous)).toBe(true);
    m = parseExposition(await metrics.exposition());
    expect(valueOf(m, "sessionflow_forced_retries_total")).toBe(1);
    // OPENED was published by an earlier write: not counted again.
    expect(valueOf(m, "sessionflow_sessions_created_total", { origin: "SUBMISSION" })).toBe(0);
    expect(valueOf(m, "sessionflow_store_operations_total", { operation: "sessions.update", result: "ok" })).toBe(2);
  });

  it("leaves the store untouched when nothing observes it", () => {
    const store = createMemoryStore();
    expect(observeStore(store, {})).toBe(store);
  });
});

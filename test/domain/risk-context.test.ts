import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultDisposableDomains } from "../../src/domain/analyzers.js";
import { createManualClock } from "../../src/domain/clock.js";
import { createRiskContext } from "../../src/domain/risk-context.js";
import { defaultThresholds, emptyLists, initialConfig } from "../../src/domain/thresholds.js";
import { createMemoryStore } from "../../src/store/memory/memory-store.js";

describe("the risk context's configuration cache", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("keeps the object of an unchanged revision after re-reading it, so rules compiled for its lists are reused", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const store = createMemoryStore();
    const risk = createRiskContext({ store, clock: createManualClock(new Date()), defaults: defaultThresholds, disposableDomains: defaultDisposableDomains });
    await store.configurations.append({ ...initialConfig("acme"), version: 1, lists: { ...emptyLists(), denyPhones: ["+44 7700 900123"] } });

    const first = await risk.configFor("acme");
    vi.advanceTimersByTime(10_000); // past the cache: the store is read again and returns a copy
    expect(await risk.configFor("acme")).toBe(first);

    await store.configurations.append({ ...initialConfig("acme"), version: 2, lists: emptyLists() });
    vi.advanceTimersByTime(10_000);
    const next = await risk.configFor("acme");
    expect(next.version).toBe(2);
    expect(next).not.toBe(first);
  });
});

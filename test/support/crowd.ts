import { createUuidV7Generator } from "../../src/domain/ids.js";
import { defaultLifetimePolicy } from "../../src/domain/policy.js";
import { createSession } from "../../src/domain/stitching.js";
import type { Store } from "../../src/domain/store.js";

/**
 * Stores `count` small billable sessions for a tenant, one a minute back from `until` (50,000
 * span about 35 days), written straight to the store: the crowd a noisy tenant reads through.
 */
export async function crowd(store: Store, tenantId: string, count: number, until = new Date()): Promise<void> {
  let minute = until.getTime() - count * 60_000;
  const ids = createUuidV7Generator(() => minute);
  for (let i = 0; i < count; i++, minute += 60_000) {
    const workflow = i % 2 === 0 ? "bank-signup" : "kyc";
    await store.sessions.insert(
      createSession({ tenantId, id: ids.next(), workflow, market: "GB", origin: "SUBMISSION", policy: defaultLifetimePolicy }, new Date(minute)),
    );
  }
}

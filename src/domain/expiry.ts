import { randomUUID } from "node:crypto";
import type { Clock } from "./clock.js";
import { redecide } from "./decision.js";
import { emit, fail, needsAbandoning } from "./lifecycle.js";
import type { AuditedRequest } from "./request-replay.js";
import type { Session } from "./session.js";
import type { SessionRepository } from "./session-repository.js";
import { sealChange } from "./stitching.js";
import type { WriteLoop } from "./write-loop.js";

/**
 * SPEC §2: a session that reaches its expire time without closing fails as ABANDONED, noticed
 * on access and by a background sweep. These writes are the service's own (principal `system`),
 * so they are never refused for want of room: the session limits keep a reserve for them.
 */
export interface Expiry {
  /** Closes an expired open session as ABANDONED; undefined when another writer changed it first. */
  abandon(current: Session): Promise<Session | undefined>;
  /**
   * Tells an expired session's watchers where the journey went (REPLACED). Idempotent, so a
   * retried Submit runs it again and completes what a failed first attempt left undone.
   */
  markReplaced(tenantId: string, expiredId: string, replacementId: string): Promise<void>;
  /** Fails expired open sessions of every tenant as ABANDONED; returns how many this call closed. */
  sweep(limit: number): Promise<number>;
}

const systemRequest = (): AuditedRequest => ({
  requestId: randomUUID(),
  fingerprint: "",
  procedure: "sessionflow/expire",
  principal: "system",
  provided: {},
});

export function createExpiry({ repo, clock, loop }: { repo: SessionRepository; clock: Clock; loop: WriteLoop }): Expiry {
  async function abandon(current: Session) {
    const now = clock.now();
    const next = sealChange(redecide(fail(current, "ABANDONED", "EXPIRED", now), now, current.events.length), systemRequest(), {}, now);
    return (await repo.update(next, current)) ? next : undefined;
  }

  return {
    abandon,
    async markReplaced(tenantId, expiredId, replacementId) {
      await loop<undefined>(tenantId, expiredId, async (current) => {
        if (!current || current.events.some((e) => e.type === "REPLACED")) return { done: undefined };
        const now = clock.now();
        let next = emit(current, "REPLACED", now, { relatedSessionId: replacementId });
        if (needsAbandoning(next, now)) next = redecide(fail(next, "ABANDONED", "EXPIRED", now), now, current.events.length);
        next = sealChange(next, systemRequest(), { replacedBy: replacementId }, now);
        return (await repo.update(next, current)) ? { done: undefined } : { next: expiredId };
      });
    },
    async sweep(limit) {
      const expired = await repo.findExpiredOpen(clock.now(), limit);
      let closed = 0;
      for (const candidate of expired) {
        // Several replicas may sweep at once: the version check lets exactly one close each session.
        const current = await repo.get(candidate.tenantId, candidate.id);
        if (current && needsAbandoning(current, clock.now()) && (await abandon(current))) closed++;
      }
      return closed;
    },
  };
}

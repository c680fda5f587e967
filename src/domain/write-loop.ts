import { DomainError } from "./errors.js";
import { createKeyedLock } from "./keyed-lock.js";
import type { Session } from "./session.js";
import type { SessionRepository } from "./session-repository.js";

/** Optimistic writes retry on conflict; past this many, the caller gets ABORTED and may retry. */
const maxAttempts = 16;

/**
 * What one attempt decided: finished; read again (the same session after a lost race, or
 * another one); or decide again on a fresh read, for an answer that must not come from a
 * cached copy (a replay's answer shows the session as it is, so it must not be an older copy).
 */
export type Step<T> = { done: T } | { next: string } | { reread: true };

/** Whether the aggregate an attempt sees was read from the store itself, not from a cache. */
export interface Read {
  fresh: boolean;
}

/** Runs `attempt` on the current aggregate until it finishes; see createWriteLoop. */
export type WriteLoop = <T>(tenantId: string, sessionId: string, attempt: (current: Session | undefined, read: Read) => Promise<Step<T>>) => Promise<T>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The optimistic write loop every change goes through: read, decide, write guarded by the
 * version, and on a lost race read again. Writers in this process queue per session, so only
 * other replicas cause retries.
 *
 * The first read may come from the repository's cache (so a continuing call is one round trip).
 * A write decided on a stale copy fails its version check and is retried; a refusal decided on
 * one would be wrong, so a DomainError thrown on a cached copy is only passed on after the same
 * attempt refuses on a fresh read too.
 */
export function createWriteLoop(repo: SessionRepository): WriteLoop {
  const lock = createKeyedLock();
  return async function run<T>(tenantId: string, sessionId: string, attempt: (current: Session | undefined, read: Read) => Promise<Step<T>>): Promise<T> {
    let target = sessionId;
    let fresh = false;
    for (let i = 0; i < maxAttempts; i++) {
      const id = target;
      const step = await lock.run(`${tenantId}|${id}`, async (): Promise<Step<T> | "stale-refusal"> => {
        const read = fresh ? { session: await repo.get(tenantId, id), fresh: true } : await repo.getForUpdate(tenantId, id);
        try {
          const step = await attempt(read.session, { fresh: read.fresh });
          return "reread" in step && read.fresh ? { next: id } : step;
        } catch (e) {
          if (e instanceof DomainError && !read.fresh) return "stale-refusal";
          throw e;
        }
      });
      fresh = true;
      if (step === "stale-refusal" || "reread" in step) continue;
      if ("done" in step) return step.done;
      if (step.next === id) await sleep(Math.random() * 2 * i); // lost to another replica: jittered back-off
      target = step.next;
    }
    throw new DomainError("CONCURRENT_MODIFICATION", "the session kept changing concurrently; retry the request");
  };
}

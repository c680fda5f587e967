import { DomainError } from "./errors.js";
import { derivedRequestId, type RequestContext } from "./request-replay.js";
import type { Session } from "./session.js";

/**
 * What a transferred (child) session collects is applied to its parent as well, as the parent's
 * own request: audited there under the principal `transfer:<child>`, with a request id derived
 * from the child's, so that it happens once however often the child's request is retried.
 *
 * The two writes are not atomic. A retry of the child's request replays on the child and runs
 * the sync again, which either replays on the parent or applies what a failed first attempt
 * did not; callers therefore sync on replays too, not only on first calls.
 */
export function parentRequest(ctx: RequestContext, child: Pick<Session, "id">): RequestContext {
  return { ...ctx, principal: `transfer:${child.id}`, requestId: derivedRequestId(ctx.requestId, "sync"), clientRequestId: true };
}

/**
 * Runs the parent's half. A parent that closed, completed or filled up meanwhile keeps what it
 * has (the child keeps its own record); anything else (the store failing, the call's deadline
 * passing) reaches the caller, whose retry completes the sync.
 */
export async function syncToParent(write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (e) {
    if (!(e instanceof DomainError) || e.reason === "DEADLINE_EXCEEDED") throw e;
  }
}

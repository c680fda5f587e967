import { appendOnlyLists, sessionDelta } from "../../domain/session-delta.js";
import type { Session } from "../../domain/session.js";
import { frozenCopy } from "../freeze.js";

/**
 * The next stored version of a frozen aggregate: `current` with the change from `previous` to
 * `next` applied. Only the changed fields and the appended entries are copied; the rest, the
 * history included, is shared with `current`.
 */
export function applyChange(current: Session, previous: Session, next: Session): { stored: Session; appended: Partial<Session> } {
  const delta = sessionDelta(previous, next);
  const updated: Record<string, unknown> = { ...current };
  for (const key in delta.set) updated[key] = frozenCopy(delta.set[key as keyof Session]);
  for (const key of delta.unset) delete updated[key];
  const appended: Record<string, unknown[]> = {};
  for (const list of appendOnlyLists) {
    const added = delta.append[list] as unknown[] | undefined;
    if (!added) continue;
    appended[list] = frozenCopy(added);
    updated[list] = Object.freeze([...(current[list] as unknown[]), ...appended[list]!]);
  }
  // Everything `updated` holds is frozen already (current's values, the frozen copies), so freezing
  // it alone is enough; deepFreeze would visit the whole history again on every write.
  return { stored: Object.freeze(updated) as unknown as Session, appended: appended as Partial<Session> };
}

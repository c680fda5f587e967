import { chargeVisits } from "../../domain/work-units.js";
import { firstAbove, firstAtOrAbove } from "./id-order.js";

/** Ids visited between two turns of the event loop: a long scan never holds it for more than about a millisecond. */
export const scanSlice = 250;

/** Resolves after pending I/O and timers have had their turn. */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Visits ids below `beforeId` (all when undefined), highest first, until `visit` returns false,
 * letting other calls run every `scanSlice` ids. Between slices the ids may change: the scan
 * goes on below the last id it visited. Each slice is billed to the call the scan serves.
 */
export async function scanDown(ids: () => readonly string[], beforeId: string | undefined, visit: (id: string) => boolean): Promise<void> {
  let bound = beforeId;
  for (;;) {
    const list = ids();
    let i = (bound === undefined ? list.length : firstAtOrAbove(list, bound)) - 1;
    for (let n = 0; n < scanSlice; n++, i--) {
      if (i < 0 || !visit(list[i]!)) return chargeVisits(n + 1);
    }
    chargeVisits(scanSlice);
    bound = list[i + 1];
    await nextTurn();
  }
}

/** Like scanDown, upwards: ids above `afterId` (all when undefined), lowest first. */
export async function scanUp(ids: () => readonly string[], afterId: string | undefined, visit: (id: string) => boolean): Promise<void> {
  let bound = afterId;
  for (;;) {
    const list = ids();
    let i = bound === undefined ? 0 : firstAbove(list, bound);
    for (let n = 0; n < scanSlice; n++, i++) {
      if (i >= list.length || !visit(list[i]!)) return chargeVisits(n + 1);
    }
    chargeVisits(scanSlice);
    bound = list[i - 1];
    await nextTurn();
  }
}

/**
 * Spreads work over turns of the event loop: at most `perTurn` places per turn, handed out
 * first come, first served, so a burst of thousands of small jobs (stream deliveries) lets the
 * I/O and timers of other calls in between slices instead of running back to back.
 */
export interface TurnPacer {
  /** Takes a place in this turn: undefined when there is one, or a promise that resolves with a place in a later turn. */
  place(): Promise<void> | undefined;
}

export function createTurnPacer(perTurn: number): TurnPacer {
  const waiting: (() => void)[] = [];
  let head = 0; // waiting[head..] still wait: shifting a long array on every release would cost its length
  let used = 0;
  let scheduled = false;
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(newTurn);
  };
  function newTurn() {
    scheduled = false;
    used = 0;
    while (head < waiting.length && used < perTurn) {
      used++;
      waiting[head++]!();
    }
    if (head === waiting.length) {
      waiting.length = 0;
      head = 0;
    } else {
      schedule();
    }
  }
  return {
    place() {
      schedule(); // this turn's count starts again in the next
      if (head === waiting.length && used < perTurn) {
        used++;
        return undefined;
      }
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
  };
}

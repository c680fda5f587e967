/**
 * Results remembered for the frozen leading items of lists that only grow. Each stored version of
 * a session shares its lists' items with the version before (src/store/freeze.ts), so the run
 * remembered for one version covers all but the newest items of the next: a list then costs its
 * new items and one comparison per old one, where a cache per item would cost a lookup per item.
 * Runs are keyed weakly on their first item, so they live no longer than the stored versions do.
 */
export class ListRuns<T extends object, R> {
  private readonly runs = new WeakMap<T, { items: readonly T[]; result: R }>();

  /** What was remembered for a run `list` starts with, and how many items that run covers. */
  find(list: readonly T[]): { result: R; length: number } | undefined {
    const first = list[0];
    if (first === undefined || !Object.isFrozen(first)) return undefined;
    const run = this.runs.get(first);
    if (run === undefined || run.items.length > list.length) return undefined;
    for (let i = 1; i < run.items.length; i++) if (run.items[i] !== list[i]) return undefined;
    return { result: run.result, length: run.items.length };
  }

  /** Remembers `result` for the first `length` items of `list`, which must all be frozen. */
  remember(list: readonly T[], length: number, result: R): void {
    const items = length === list.length && Object.isFrozen(list) ? list : list.slice(0, length);
    this.runs.set(list[0]!, { items, result });
  }
}

/** Where the frozen items of `list` from `start` on end: the index of the first that is not frozen. */
export function frozenUntil(list: readonly object[], start: number): number {
  let i = start;
  while (i < list.length && Object.isFrozen(list[i])) i++;
  return i;
}

/**
 * Each tenant's session ids in ascending order. Ids are UUIDv7, so this is creation order and
 * new ids almost always go at the end: a page is found by binary search, never by sorting the
 * tenant's sessions.
 */
export interface IdOrder {
  add(tenantId: string, id: string): void;
  /** Keeps the ids `keep` accepts; for purges, which drop many at once. */
  retain(tenantId: string, keep: (id: string) => boolean): void;
  /** The tenant's ids, ascending; the array may be replaced by later changes, so ask again after awaiting. */
  of(tenantId: string): readonly string[];
}

const none: readonly string[] = [];

export function createIdOrder(): IdOrder {
  const tenants = new Map<string, string[]>();
  return {
    add(tenantId, id) {
      let ids = tenants.get(tenantId);
      if (!ids) tenants.set(tenantId, (ids = []));
      if (ids.length === 0 || ids[ids.length - 1]! < id) ids.push(id);
      else ids.splice(firstAtOrAbove(ids, id), 0, id);
    },
    retain(tenantId, keep) {
      const ids = tenants.get(tenantId)?.filter(keep);
      if (ids?.length) tenants.set(tenantId, ids);
      else tenants.delete(tenantId);
    },
    of: (tenantId) => tenants.get(tenantId) ?? none,
  };
}

/** The index of the first id at or above `id`. */
export function firstAtOrAbove(ids: readonly string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid]! < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of the first id above `id`. */
export function firstAbove(ids: readonly string[], id: string): number {
  const i = firstAtOrAbove(ids, id);
  return ids[i] === id ? i + 1 : i;
}

import type { IdentityGraph, IdentityLink } from "../../domain/identity-graph.js";

/**
 * The embedded identity graph: each session's link, and an index from each element key to the
 * sessions whose links hold it, per tenant. Every Submit with an identity looks its keys up, so
 * a lookup costs the links that share a key, not every link the process holds.
 */
export function createMemoryIdentityGraph(): IdentityGraph {
  const tenants = new Map<string, { links: Map<string, IdentityLink>; byKey: Map<string, Set<string>> }>();
  const copy = (link: IdentityLink): IdentityLink => structuredClone(link);

  return {
    async upsert(link) {
      let tenant = tenants.get(link.tenantId);
      if (!tenant) tenants.set(link.tenantId, (tenant = { links: new Map(), byKey: new Map() }));
      const { links, byKey } = tenant;
      for (const key of links.get(link.sessionId)?.keys ?? []) {
        const holders = byKey.get(key);
        holders?.delete(link.sessionId);
        if (holders?.size === 0) byKey.delete(key);
      }
      const stored = copy(link);
      links.set(link.sessionId, stored);
      for (const key of stored.keys) {
        let holders = byKey.get(key);
        if (!holders) byKey.set(key, (holders = new Set()));
        holders.add(link.sessionId);
      }
    },
    async findByKeys(tenantId, keys, limit) {
      const tenant = tenants.get(tenantId);
      if (!tenant) return [];
      const found = new Set<IdentityLink>();
      for (const key of keys) for (const sessionId of tenant.byKey.get(key) ?? []) found.add(tenant.links.get(sessionId)!);
      if (found.size === 0) return [];
      return [...found]
        .sort((a, b) => b.time.getTime() - a.time.getTime() || (a.sessionId < b.sessionId ? -1 : 1))
        .slice(0, limit)
        .map(copy);
    },
  };
}

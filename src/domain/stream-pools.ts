import { DomainError } from "./errors.js";

/** How many event streams may be open at once, per pool. */
export interface StreamPoolLimits {
  /** A tenant's own streams, opened with its API keys. */
  perTenant: number;
  /** All of a tenant's front ends together (client tokens). */
  clientPerTenant: number;
  /** One session's front ends (its client tokens). */
  clientPerSession: number;
}

export interface StreamPools {
  /**
   * Takes a place for one stream, or throws TOO_MANY_STREAMS naming the full pool in
   * ErrorInfo.metadata["limit"]. `clientSession` is set for a front end's client token: its
   * streams come from the front-end pools and never from the tenant's, so front ends cannot
   * lock the tenant's backends out. Returns the function that gives the place back (once).
   */
  acquire(tenantId: string, clientSession?: string): () => void;
}

export function createStreamPools(limits: StreamPoolLimits): StreamPools {
  // Counts only for keys with open streams, so memory follows what is open.
  const open = new Map<string, number>();
  const take = (key: string) => open.set(key, (open.get(key) ?? 0) + 1);
  const give = (key: string) => {
    const n = (open.get(key) ?? 1) - 1;
    if (n === 0) open.delete(key);
    else open.set(key, n);
  };
  const full = (key: string, cap: number) => (open.get(key) ?? 0) >= cap;
  const refuse = (limit: string, who: string, cap: number) =>
    new DomainError("TOO_MANY_STREAMS", `${who} may hold at most ${cap} open event streams; close one or retry later`, [], { limit, max: String(cap) });

  return {
    acquire(tenantId, clientSession) {
      const keys =
        clientSession === undefined
          ? [`tenant|${tenantId}`]
          : [`client|${tenantId}`, `session|${tenantId}|${clientSession}`];
      if (clientSession === undefined) {
        if (full(keys[0]!, limits.perTenant)) throw refuse("tenant", "a tenant", limits.perTenant);
      } else {
        if (full(keys[1]!, limits.clientPerSession)) throw refuse("client_session", "a session's front ends", limits.clientPerSession);
        if (full(keys[0]!, limits.clientPerTenant)) throw refuse("client_tenant", "a tenant's front ends", limits.clientPerTenant);
      }
      keys.forEach(take);
      let given = false;
      return () => {
        if (given) return;
        given = true;
        keys.forEach(give);
      };
    },
  };
}

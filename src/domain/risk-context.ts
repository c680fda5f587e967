import type { Clock } from "./clock.js";
import { elementsOf, lookupKeys } from "./identity-graph.js";
import { assessRisk, type RiskAssessment } from "./risk.js";
import type { Session } from "./session.js";
import { effectiveThresholds, initialConfig, type TenantConfig, type ThresholdValues } from "./thresholds.js";
import type { Store } from "./store.js";

/** How long a tenant's configuration is reused before it is read again. */
const configCacheMs = 2_000;
/** The most graph links one assessment reads. */
const maxLinks = 200;

export interface RiskContext {
  configFor(tenantId: string): Promise<TenantConfig>;
  /** Forgets a tenant's cached configuration, after this process changed it. */
  invalidate(tenantId: string): void;
  thresholdsFor(config: TenantConfig, market: string): ThresholdValues;
  /** Assesses a session; `accountId` undefined evaluates it as a brand-new account. */
  assess(session: Session, accountId: string | undefined, config: TenantConfig): Promise<RiskAssessment>;
}

export interface RiskContextDeps {
  store: Store;
  clock: Clock;
  defaults: ThresholdValues;
  disposableDomains: ReadonlySet<string>;
}

/** The device of the latest submission that sent one: a walk back from the end, not a reversed copy. */
export function lastDevice(session: Session) {
  for (let i = session.submissions.length - 1; i >= 0; i--) {
    const device = session.submissions[i]!.device;
    if (device) return device;
  }
  return undefined;
}

export function createRiskContext({ store, clock, defaults, disposableDomains }: RiskContextDeps): RiskContext {
  const cache = new Map<string, { config: TenantConfig; until: number }>();
  return {
    async configFor(tenantId) {
      const hit = cache.get(tenantId);
      if (hit && hit.until > Date.now()) return hit.config;
      const read = (await store.configurations.current(tenantId)) ?? initialConfig(tenantId);
      // A revision never changes. Keeping the object already held for it keeps the list rules
      // compiled for its lists (list-rules.ts), which cost up to a second for long lists.
      const config = hit && hit.config.version === read.version ? hit.config : read;
      cache.set(tenantId, { config, until: Date.now() + configCacheMs });
      return config;
    },
    invalidate(tenantId) {
      cache.delete(tenantId);
    },
    thresholdsFor: (config, market) => effectiveThresholds(config, market, defaults),
    async assess(session, accountId, config) {
      const device = lastDevice(session);
      const elements = elementsOf(session.identity, device, session.market);
      const keys = lookupKeys(elements);
      const links = keys.length > 0 ? await store.identity.findByKeys(session.tenantId, keys, maxLinks) : [];
      return assessRisk({
        identity: session.identity,
        ...(device ? { device } : {}),
        market: session.market,
        ...(accountId ? { accountId } : {}),
        sessionId: session.id,
        links,
        lists: config.lists,
        thresholds: effectiveThresholds(config, session.market, defaults),
        configurationVersion: config.version,
        disposableDomains,
        now: clock.now(),
        elements,
      });
    },
  };
}

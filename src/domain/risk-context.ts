import type { Clock } from "./clock.js";
import { elementsOf, isFrozenIdentity, lookupKeys } from "./identity-graph.js";
import { assessRisk, type RiskAssessment } from "./risk.js";
import type { DeviceSignals, Identity, Session } from "./session.js";
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
  /**
   * The last assessment of each frozen identity that had no graph links. Without links, an
   * assessment is a function of the identity, the device, the market and the tenant's
   * configuration alone (the account, the session id and the time only count against links), so a
   * continuing Submit that repeats them, with the same frozen objects the store handed out and
   * the same configuration revision, gets the same assessment back. An identity is its tenant's,
   * and revisions never change, so the version names the configuration; only the number is kept,
   * so an identity does not hold an old revision's lists alive. Keyed weakly by the identity, so it holds nothing its session no longer does; one per
   * context, whose defaults and disposable domains it also depends on; frozen, as calls share it.
   */
  const unlinked = new WeakMap<Identity, { device: DeviceSignals | undefined; market: string; accountId: string | undefined; configVersion: number; risk: RiskAssessment }>();
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
      const reusable = links.length === 0 && isFrozenIdentity(session.identity) && (!device || isFrozenDevice(device));
      const known = reusable ? unlinked.get(session.identity) : undefined;
      if (known && known.device === device && known.market === session.market && known.accountId === accountId && known.configVersion === config.version) return known.risk;
      const risk = assessRisk({
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
      if (!reusable) return risk;
      unlinked.set(session.identity, { device, market: session.market, accountId, configVersion: config.version, risk: freezeAssessment(risk) });
      return risk;
    },
  };
}

const isFrozenDevice = (device: DeviceSignals) => Object.isFrozen(device) && Object.isFrozen(device.automationFlags);

function freezeAssessment(risk: RiskAssessment): RiskAssessment {
  for (const reason of risk.reasons) Object.freeze(reason);
  Object.freeze(risk.reasons);
  Object.freeze(risk.linkedAccounts);
  Object.freeze(risk.lists);
  return Object.freeze(risk);
}

import { normalizeDomainRule } from "./normalize-domain.js";

/** A set of domain rules, compiled once and asked per session. */
export interface DomainRules {
  /** Whether a domain from normalizeDomain (or normalizeEmail) is a listed one or, with `subdomains`, under one. */
  matches(domain: string | undefined): boolean;
}

/**
 * Rules read through the one domain normalization; entries that are not valid domains are
 * dropped, never turned into a rule that matches everything. With `subdomains`, a rule for
 * "mailinator.com" also matches "x.sub.mailinator.com", only ever at a label boundary:
 * "notmailinator.com" is another domain.
 */
export function createDomainRules(entries: Iterable<string>, { subdomains }: { subdomains: boolean }): DomainRules {
  const rules = new Set<string>();
  for (const entry of entries) {
    const domain = normalizeDomainRule(entry);
    if (domain) rules.add(domain);
  }
  return {
    matches(domain) {
      if (!domain) return false;
      if (rules.has(domain)) return true;
      if (!subdomains) return false;
      for (let dot = domain.indexOf("."); dot !== -1; dot = domain.indexOf(".", dot + 1)) {
        if (rules.has(domain.slice(dot + 1))) return true;
      }
      return false;
    },
  };
}

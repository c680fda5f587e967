import { createDomainRules, type DomainRules } from "./domain-rules.js";
import { normalizeEmail } from "./normalize-email.js";

/**
 * Small rules that both the analyzers (warning screens) and the risk assessment (scores) apply,
 * kept in one place so the screen a user sees and the score a tenant sees never disagree.
 */

/** Bot likelihood from the capture SDK's automation flags: 0.7 plus 0.1 per flag, at most 1. */
export function automationScore(flags: readonly string[]): number {
  return flags.length === 0 ? 0 : Math.min(1, 0.7 + 0.1 * flags.length);
}

/** The normalized domain of an email address (see normalizeEmail), if it has one. */
export function emailDomain(email: string | undefined): string | undefined {
  return normalizeEmail(email)?.domain;
}

/** Each deployment's set of disposable domains is compiled once, on first use. */
const disposableRules = new WeakMap<ReadonlySet<string>, DomainRules>();

/** Whether a normalized domain is a throwaway mailbox domain or one of its subdomains. */
export function isDisposableDomain(domain: string | undefined, domains: ReadonlySet<string>): boolean {
  let rules = disposableRules.get(domains);
  if (!rules) disposableRules.set(domains, (rules = createDomainRules(domains, { subdomains: true })));
  return rules.matches(domain);
}

/**
 * Small rules that both the analyzers (warning screens) and the risk assessment (scores) apply,
 * kept in one place so the screen a user sees and the score a tenant sees never disagree.
 */

/** Bot likelihood from the capture SDK's automation flags: 0.7 plus 0.1 per flag, at most 1. */
export function automationScore(flags: readonly string[]): number {
  return flags.length === 0 ? 0 : Math.min(1, 0.7 + 0.1 * flags.length);
}

/** The lower-cased domain of an email address, if it has one. */
export function emailDomain(email: string | undefined): string | undefined {
  return email?.split("@")[1]?.trim().toLowerCase() || undefined;
}

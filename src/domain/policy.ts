import type { SessionOrigin } from "./session.js";

/** How long sessions of one workflow live, per origin, measured from creation. */
export interface LifetimePolicy {
  submissionSeconds: number;
  linkSeconds: number;
  transferSeconds: number;
}

export const defaultLifetimePolicy: LifetimePolicy = {
  submissionSeconds: 10 * 60,
  linkSeconds: 7 * 24 * 60 * 60,
  transferSeconds: 60 * 60,
};

export interface Policies {
  lifetimeFor(workflow: string): LifetimePolicy;
}

export function createPolicies(
  defaults: LifetimePolicy = defaultLifetimePolicy,
  perWorkflow: Record<string, Partial<LifetimePolicy>> = {},
): Policies {
  return {
    lifetimeFor: (workflow) => ({ ...defaults, ...perWorkflow[workflow] }),
  };
}

export function lifetimeSeconds(policy: LifetimePolicy, origin: SessionOrigin): number {
  switch (origin) {
    case "SUBMISSION":
      return policy.submissionSeconds;
    case "LINK":
      return policy.linkSeconds;
    case "TRANSFER":
      return policy.transferSeconds;
  }
}

import { elementsOf, type ElementKeys, type IdentityLink } from "./identity-graph.js";
import { listHits } from "./list-rules.js";
import { phoneText } from "./normalize-phone.js";
import { automationScore, isDisposableDomain } from "./signals.js";
import type { DeviceSignals, Identity } from "./session.js";
import type { TenantLists, ThresholdValues } from "./thresholds.js";

export type RiskLabel = "REAL" | "SUSPICIOUS" | "FAKE";
export type RiskComponent = "account_score" | "bot" | "multiple_accounts" | "risk_signals" | "synthetic_identity";

export interface RiskReason {
  component: RiskComponent;
  code: string;
  weight: number;
}

export interface RiskAssessment {
  label: RiskLabel;
  accountScore: number;
  bot: number;
  multipleAccounts: number;
  riskSignals: number;
  syntheticIdentity: number;
  accountsLinked: number;
  linkedAccounts: string[];
  lists: string[];
  reasons: RiskReason[];
  configurationVersion: number;
}

export interface RiskInput {
  identity: Identity;
  device?: DeviceSignals;
  market: string;
  /** The account the session is authenticated as; undefined evaluates it as a brand-new account. */
  accountId?: string;
  /** This session's id, so its own link never counts as corroboration or as another account. */
  sessionId: string;
  /** Authenticated sessions that share an element or device with this one. */
  links: readonly IdentityLink[];
  lists: TenantLists;
  thresholds: ThresholdValues;
  configurationVersion: number;
  disposableDomains: ReadonlySet<string>;
  now: Date;
  /** elementsOf(identity, device, market), when the caller has worked it out already. */
  elements?: ElementKeys;
}

/*
 * The helpers below live at module level rather than as closures inside assessRisk: it runs on
 * every Submit, and under tsx (npm start) each named closure costs a defineProperty per call.
 */

/** Records a reason; returns its weight, for the component's running total. */
function add(reasons: RiskReason[], component: RiskComponent, code: string, weight: number): number {
  reasons.push({ component, code, weight });
  return weight;
}

function sameName(l: IdentityLink, e: ElementKeys): boolean {
  return e.name !== undefined && l.name === e.name;
}

function shares(l: IdentityLink, kind: string, value?: string): boolean {
  return value !== undefined && l.keys.includes(`${kind}:${value}`);
}

/** Scores are rounded to 4 places so they compare and serialize exactly. */
const round = (x: number) => Math.round(Math.min(1, Math.max(0, x)) * 1e4) / 1e4;

/** How many sessions sharing one element inside the velocity window raise velocity risk. */
export const velocityWindowMs = 24 * 3600 * 1000;
export const velocityThreshold = 3;

/** Calling codes by market, for phone plausibility; markets not listed are not judged. */
const callingCodes: Record<string, string[]> = {
  GB: ["44"], US: ["1"], CA: ["1"], DE: ["49"], FR: ["33"], ES: ["34"], IT: ["39"], NL: ["31"], BE: ["32"],
  IE: ["353"], PT: ["351"], PL: ["48"], SE: ["46"], NO: ["47"], DK: ["45"], FI: ["358"], AT: ["43"], CH: ["41"],
  AU: ["61"], NZ: ["64"], IN: ["91"], BR: ["55"], MX: ["52"], HU: ["36"], CZ: ["420"], RO: ["40"], JP: ["81"], SG: ["65"],
};

const emailSyntax = /^[^\s@"(),:;<>[\]\\]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

/**
 * The built-in analyzers of SPEC §3 as one deterministic function of the session's data, the
 * identity graph's matching links, the tenant's lists and thresholds. Same inputs, same output.
 */
export function assessRisk(input: RiskInput): RiskAssessment {
  const reasons: RiskReason[] = [];
  const e = input.elements ?? elementsOf(input.identity, input.device, input.market);
  const others = input.links.filter((l) => l.sessionId !== input.sessionId);

  // Bot: device signals.
  let bot = 0;
  const flags = input.device?.automationFlags ?? [];
  if (flags.length > 0) {
    bot = Math.max(bot, automationScore(flags));
    add(reasons, "bot", "BOT_AUTOMATION_FLAG", round(automationScore(flags)));
  }
  if (/headless|phantomjs|puppeteer|playwright/i.test(input.device?.userAgent ?? "")) {
    bot = Math.max(bot, 0.8);
    add(reasons, "bot", "BOT_HEADLESS_USER_AGENT", 0.8);
  }
  if (input.device && !input.device.userAgent) {
    bot = Math.max(bot, 0.3);
    add(reasons, "bot", "BOT_NO_USER_AGENT", 0.3);
  }

  // Risk signals: the elements themselves.
  let signals = 0;
  if (e.email && !emailSyntax.test(e.email)) signals += add(reasons, "risk_signals", "EMAIL_SYNTAX_INVALID", 0.4);
  if (isDisposableDomain(e.emailDomain, input.disposableDomains)) signals += add(reasons, "risk_signals", "EMAIL_DOMAIN_DISPOSABLE", 0.3);
  if (input.identity.phone) {
    const typed = phoneText(input.identity.phone);
    const digits = (e.phone ?? "").replace(/^\+/, "");
    const plausible = /^\+?[0-9 ().-]+$/.test(typed) && digits.length >= 8 && digits.length <= 15;
    if (!plausible) signals += add(reasons, "risk_signals", "PHONE_FORMAT_INVALID", 0.3);
    const codes = callingCodes[input.market];
    if (plausible && codes && typed.startsWith("+") && !codes.some((c) => digits.startsWith(c))) {
      signals += add(reasons, "risk_signals", "PHONE_MARKET_MISMATCH", 0.2);
    }
  }
  if (e.name && e.email) {
    const local = e.email.split("@")[0]!.replace(/[^a-z]/g, "");
    const tokens = e.name.split(" ").filter((t) => t.length >= 2);
    if (tokens.length > 0 && !tokens.some((t) => local.includes(t)) && !local.includes(tokens.map((t) => t[0]).join(""))) {
      signals += add(reasons, "risk_signals", "NAME_EMAIL_MISMATCH", 0.1);
    }
  }
  for (const [kind, value] of [["EMAIL", e.email], ["PHONE", e.phone], ["DEVICE", e.device]] as const) {
    if (!value) continue;
    const key = `${kind.toLowerCase()}:${value}`;
    const recent = others.filter((l) => l.keys.includes(key) && input.now.getTime() - l.time.getTime() <= velocityWindowMs);
    if (recent.length >= velocityThreshold) signals += add(reasons, "risk_signals", `VELOCITY_${kind}`, 0.3);
  }

  // Synthetic identity: corroborated by approved authenticated sessions, or contradicted.
  let synthetic = 0.6;
  add(reasons, "synthetic_identity", "IDENTITY_UNVERIFIED", 0.6);
  const approved = others.filter((l) => l.approved);
  if (e.email && approved.some((l) => shares(l, "email", e.email) && sameName(l, e))) synthetic += add(reasons, "synthetic_identity", "EMAIL_CORROBORATED", -0.15);
  if (e.phone && approved.some((l) => shares(l, "phone", e.phone) && sameName(l, e) && (!e.email || shares(l, "email", e.email)))) {
    synthetic += add(reasons, "synthetic_identity", "PHONE_CORROBORATED", -0.2);
  }
  if (e.address && approved.some((l) => l.address === e.address && sameName(l, e))) synthetic += add(reasons, "synthetic_identity", "ADDRESS_CORROBORATED", -0.2);
  if (e.name && e.email && approved.some((l) => shares(l, "email", e.email) && l.name && l.name !== e.name)) {
    synthetic += add(reasons, "synthetic_identity", "EMAIL_CONTRADICTED", 0.3);
  }
  if (e.name && e.phone && approved.some((l) => shares(l, "phone", e.phone) && l.name && l.name !== e.name)) {
    synthetic += add(reasons, "synthetic_identity", "PHONE_CONTRADICTED", 0.3);
  }

  // Multiple accounts: other accounts sharing an identifying element or the device.
  const linked = new Set<string>();
  for (const [kind, value] of [["email", e.email], ["phone", e.phone], ["device", e.device]] as const) {
    if (!value) continue;
    const accounts = others.filter((l) => shares(l, kind, value) && l.accountId !== input.accountId).map((l) => l.accountId);
    if (accounts.length > 0) add(reasons, "multiple_accounts", `MULTI_ACCOUNT_${kind.toUpperCase()}`, new Set(accounts).size);
    accounts.forEach((a) => linked.add(a));
  }
  const multiple = linked.size === 0 ? 0 : 0.5 + 0.25 * (linked.size - 1);

  // Lists, read through the same normalization as the elements: deny wins over allow.
  const lists = listHits(input.lists, e, input.market);

  const bot_ = round(bot);
  const signals_ = round(signals);
  const synthetic_ = round(synthetic);
  const multiple_ = round(multiple);
  // Components combine like independent evidence (noisy-OR), each with its weight.
  let accountScore = round(1 - (1 - bot_) * (1 - 0.8 * signals_) * (1 - 0.6 * synthetic_) * (1 - 0.7 * multiple_));
  if (lists.some((l) => l.startsWith("deny:"))) {
    accountScore = 1;
    add(reasons, "account_score", "LIST_DENY", 1);
  } else if (lists.some((l) => l.startsWith("allow:"))) {
    accountScore = 0;
    add(reasons, "account_score", "LIST_ALLOW", -1);
  }
  const t = input.thresholds;
  const label: RiskLabel = accountScore >= t.decline ? "FAKE" : accountScore >= t.review ? "SUSPICIOUS" : "REAL";
  return {
    label,
    accountScore,
    bot: bot_,
    multipleAccounts: multiple_,
    riskSignals: signals_,
    syntheticIdentity: synthetic_,
    accountsLinked: linked.size,
    linkedAccounts: [...linked].sort(),
    lists,
    reasons,
    configurationVersion: input.configurationVersion,
  };
}

/**
 * Whether two assessments say the same, field by field. A continuing Submit usually assesses
 * the same data again; keeping the earlier assessment object then lets the write see the field
 * as unchanged by identity instead of comparing it deeply (session-delta.ts).
 * test/domain/risk.test.ts changes each field in turn, so a field added here must be compared.
 */
export function sameAssessment(a: RiskAssessment, b: RiskAssessment): boolean {
  return (
    a.label === b.label &&
    a.accountScore === b.accountScore &&
    a.bot === b.bot &&
    a.multipleAccounts === b.multipleAccounts &&
    a.riskSignals === b.riskSignals &&
    a.syntheticIdentity === b.syntheticIdentity &&
    a.accountsLinked === b.accountsLinked &&
    a.configurationVersion === b.configurationVersion &&
    sameTexts(a.linkedAccounts, b.linkedAccounts) &&
    sameTexts(a.lists, b.lists) &&
    a.reasons.length === b.reasons.length &&
    a.reasons.every((r, i) => r.component === b.reasons[i]!.component && r.code === b.reasons[i]!.code && r.weight === b.reasons[i]!.weight)
  );
}

const sameTexts = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

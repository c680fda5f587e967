import { createDomainRules, type DomainRules } from "./domain-rules.js";
import type { ElementKeys } from "./identity-graph.js";
import { normalizeEmail } from "./normalize-email.js";
import { normalizePhone, phoneText } from "./normalize-phone.js";
import type { TenantLists } from "./thresholds.js";

type Side = "deny" | "allow";

/**
 * Compiled rules per lists object, each piece built on first need: a revision never
 * changes, and reading 10,000 phones through libphonenumber costs about 0.3 s, so it is
 * paid once per revision and process (national-form phones once per market), not per
 * session, and not at all while no session has a phone.
 */
const compiled = new WeakMap<TenantLists, Map<string, unknown>>();

function memo<T>(lists: TenantLists, key: string, make: () => T): T {
  let pieces = compiled.get(lists);
  if (!pieces) compiled.set(lists, (pieces = new Map()));
  if (!pieces.has(key)) pieces.set(key, make());
  return pieces.get(key) as T;
}

const defined = (values: (string | undefined)[]) => new Set(values.filter((v): v is string => v !== undefined));

const emails = (lists: TenantLists, side: Side) =>
  memo(lists, `${side}:email`, () => defined(lists[`${side}Emails`].map((entry) => normalizeEmail(entry)?.address)));

/**
 * Phones written with a leading "+" read the same in every market and are compiled once;
 * national-form entries are read with the session's market as their region.
 */
function phoneListed(lists: TenantLists, side: Side, phone: string, market: string): boolean {
  const international = memo(lists, `${side}:phone:+`, () =>
    defined(lists[`${side}Phones`].filter((entry) => phoneText(entry).startsWith("+")).map((entry) => normalizePhone(entry, ""))),
  );
  const national = memo(lists, `${side}:phone:${market}`, () =>
    defined(lists[`${side}Phones`].filter((entry) => !phoneText(entry).startsWith("+")).map((entry) => normalizePhone(entry, market))),
  );
  return international.has(phone) || national.has(phone);
}

/**
 * Deny domains cover their subdomains; allow domains only themselves, because widening an
 * allow lets through sessions the tenant never named, while widening a deny holds more back.
 */
const domains = (lists: TenantLists, side: Side) =>
  memo(lists, `${side}:domain`, (): DomainRules => createDomainRules(lists[`${side}Domains`], { subdomains: side === "deny" }));

/** Device ids are opaque, compared as they are. */
const devices = (lists: TenantLists, side: Side) => memo(lists, `${side}:device`, () => new Set(lists[`${side}DeviceIds`]));

/**
 * Which of the tenant's lists a session's elements are on ("deny:email", "allow:domain", …),
 * the entries read through the same normalization as the elements.
 */
export function listHits(lists: TenantLists, e: ElementKeys, market: string): string[] {
  const hits: string[] = [];
  if (e.email) check(hits, "email", (side) => emails(lists, side).has(e.email!));
  if (e.phone) check(hits, "phone", (side) => phoneListed(lists, side, e.phone!, market));
  if (e.emailDomain) check(hits, "domain", (side) => domains(lists, side).matches(e.emailDomain));
  if (e.device) check(hits, "device", (side) => devices(lists, side).has(e.device!));
  return hits;
}

/** Adds "deny:<kind>" and "allow:<kind>" to `hits` for each side `hit` finds the element on. */
function check(hits: string[], kind: string, hit: (side: Side) => boolean): void {
  for (const side of ["deny", "allow"] as const) if (hit(side)) hits.push(`${side}:${kind}`);
}

import { normalizeEmail } from "./normalize-email.js";
import { normalizePhone } from "./normalize-phone.js";
import { stripInvisible } from "./normalize-text.js";
import type { DeviceSignals, Identity } from "./session.js";

/**
 * What authenticated sessions established: which identity elements and devices appeared
 * together, under which account, and whether the session was approved. Only authenticated
 * sessions write here; unauthenticated decisions only read.
 */
export interface IdentityLink {
  tenantId: string;
  sessionId: string;
  accountId: string;
  /** Normalized element keys, e.g. "email:alice@example.com", "phone:+447700900123", "device:d1". */
  keys: string[];
  name?: string;
  address?: string;
  approved: boolean;
  time: Date;
}

export interface ElementKeys {
  email?: string;
  /** The email's normalized domain: what domain rules see, not a graph key. */
  emailDomain?: string;
  phone?: string;
  device?: string;
  name?: string;
  address?: string;
}

/** Names and addresses also lose invisible characters, then accents: "Ali\u200Bce Zoë" is "alice zoe". */
const fold = (s: string) => stripInvisible(s).normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();

/**
 * Normal forms, so "Alice  Liddell" and "alice liddell", "ZOË@Example.com" and "zoë@example.com"
 * (in any Unicode form), "07700 900123" in market GB and "+44 7700 900123" match. Emails and
 * phones go through the one normalization lists and analyzers use; `market` is the region
 * of phones written in national form.
 */
export function elementsOf(identity: Identity, device: DeviceSignals | undefined, market: string): ElementKeys {
  const known = identityElements(identity, market);
  if (!device?.deviceId) return known;
  // The documented order, device after the phone, as the elements were always listed.
  const out: ElementKeys = {};
  if (known.email !== undefined) out.email = known.email;
  if (known.emailDomain !== undefined) out.emailDomain = known.emailDomain;
  if (known.phone !== undefined) out.phone = known.phone;
  out.device = device.deviceId;
  if (known.name !== undefined) out.name = known.name;
  if (known.address !== undefined) out.address = known.address;
  return out;
}

/**
 * The elements of a frozen identity, by identity object: a session's identity stays the same
 * object from one submission to the next while nothing in it changes (mergeIdentity), and the
 * embedded store keeps it frozen, so each Submit would otherwise normalize the same email and
 * name again. Weakly keyed, so it holds nothing a session no longer does; an identity that is
 * not frozen all the way down could still change, and is worked out afresh every time.
 */
const frozenElements = new WeakMap<Identity, { market: string; elements: ElementKeys }>();

function identityElements(identity: Identity, market: string): ElementKeys {
  const cacheable = isFrozenIdentity(identity);
  const hit = cacheable ? frozenElements.get(identity) : undefined;
  if (hit && hit.market === market) return hit.elements;
  const elements = Object.freeze(normalizeIdentity(identity, market));
  if (cacheable) frozenElements.set(identity, { market, elements });
  return elements;
}

/** Whether an identity can no longer change: frozen, its address and the address's lines too. */
export const isFrozenIdentity = (identity: Identity) =>
  Object.isFrozen(identity) && (!identity.address || (Object.isFrozen(identity.address) && Object.isFrozen(identity.address.lines)));

function normalizeIdentity(identity: Identity, market: string): ElementKeys {
  const out: ElementKeys = {};
  const email = normalizeEmail(identity.email);
  if (email) out.email = email.address;
  if (email?.domain) out.emailDomain = email.domain;
  const phone = normalizePhone(identity.phone, market);
  if (phone) out.phone = phone;
  if (identity.fullName) out.name = fold(identity.fullName).replace(/[^a-z ]/g, " ").replace(/\s+/g, " ").trim();
  if (identity.address) {
    const a = identity.address;
    out.address = fold([...a.lines, a.postalCode, a.regionCode].join("|")).replace(/\s+/g, " ").trim();
  }
  return out;
}

/** The keys the graph is searched and indexed by: the elements that identify on their own. */
export function lookupKeys(e: ElementKeys): string[] {
  const keys: string[] = [];
  if (e.email) keys.push(`email:${e.email}`);
  if (e.phone) keys.push(`phone:${e.phone}`);
  if (e.device) keys.push(`device:${e.device}`);
  if (e.address) keys.push(`address:${e.address}`);
  return keys;
}

/** Where the graph is kept; written only by authentication and reviews. */
export interface IdentityGraph {
  /** Adds or replaces the link of one authenticated session. */
  upsert(link: IdentityLink): Promise<void>;
  /** The tenant's links sharing any of the keys, newest first. */
  findByKeys(tenantId: string, keys: readonly string[], limit: number): Promise<IdentityLink[]>;
}

import { createActions, type ActorDeps, type Actions } from "./actions.js";
import type { Tenant } from "./cluster.js";
import { isClosed, isExpired, takesInput, type SessionModel } from "./model.js";

/**
 * A logical actor: one journey after another, each driving ONE session (with its replacement
 * or transfer child, which are part of the same journey) strictly sequentially, so its model of
 * the session is exact. Many actors run at once, on random instances.
 */
export async function runActor(d: ActorDeps): Promise<void> {
  const a = createActions(d);
  while (!a.stopped()) {
    a.sender.reset();
    const tenant = a.random.pick(d.tenants);
    // Most journeys are sign-ups; kyc is the quieter workflow, so streams filtered to it replay long stretches with nothing to deliver.
    const workflow = a.random.chance(0.85) ? tenant.workflows[0]! : a.random.pick(tenant.workflows);
    const journey = a.random.weighted<Journey>([
      [apiJourney, 38],
      [linkJourney, 24],
      [expiryJourney, 22],
      [abandonJourney, 8],
      [unknownIdJourney, 8],
    ]);
    await journey(a, tenant, workflow);
  }
}

type Journey = (a: Actions, tenant: Tenant, workflow: string) => Promise<void>;

/** Between steps: sometimes a read, sometimes a late replay of an earlier request of the journey. */
async function between(a: Actions, m: SessionModel): Promise<void> {
  if (a.stopped()) return;
  if (m.uncertain || a.random.chance(0.12)) await a.read(m);
  if (a.random.chance(0.1)) await a.sender.replayLate();
}

const warnings = (a: Actions) => a.random.weighted([["none", 30], ["email", 30], ["automation", 20], ["both", 20]] as const);

/** Input, checks, maybe a transfer, completion with warnings, acknowledgements, then decisions. */
async function drive(a: Actions, start: SessionModel): Promise<SessionModel> {
  let m = start;
  for (let i = a.random.int(0, 3); i > 0 && takesInput(m) && !a.stopped(); i--) {
    m = await a.submit(m);
    await between(a, m);
  }
  if (a.random.chance(0.35)) {
    // Mostly scores in the retry band, so the cap of forced retries is reached now and then.
    for (let i = a.random.int(1, 7); i > 0 && !a.stopped(); i--) {
      await a.check(m, a.random.weighted([["band", 60], ["pass", 28], ["fail", 12]] as const));
    }
    await between(a, m);
  }
  if (a.random.chance(0.25) && !a.stopped()) await transferFlow(a, m);
  if (takesInput(m) && a.random.chance(0.85) && !a.stopped()) {
    m = await a.submit(m, { complete: true, warn: warnings(a) });
    await between(a, m);
  }
  if (m.state === "WARNING") await a.acknowledgeAll(m);
  if (a.random.chance(0.4) && !a.stopped()) await a.authenticate(m);
  if (a.random.chance(0.5) && !a.stopped()) await a.review(m);
  if (a.random.chance(0.3) && !a.stopped()) await a.probe(m);
  await between(a, m);
  return m;
}

/** A capture on another device: the child's link is opened, it collects data that syncs back, and maybe finishes. */
async function transferFlow(a: Actions, parent: SessionModel): Promise<void> {
  const child = await a.transfer(parent);
  if (!child || a.stopped()) return;
  await a.exchange(child);
  if (!child.clientToken) return;
  for (let i = a.random.int(1, 3); i > 0 && takesInput(child) && !a.stopped(); i--) await a.submit(child);
  if (a.random.chance(0.35)) await a.check(child, a.random.weighted([["band", 50], ["pass", 40], ["fail", 10]] as const));
  if (a.random.chance(0.1)) await a.sender.replayLate();
  if (a.random.chance(0.5) && takesInput(child)) {
    await a.submit(child, { complete: true });
    // The parent's input completed too; what its analyses made of it, only a read tells.
    if (parent.uncertain) await a.read(parent);
  }
}

async function apiJourney(a: Actions, tenant: Tenant, workflow: string): Promise<void> {
  const m = await a.create(tenant, workflow);
  if (!m) return;
  const last = await drive(a, m);
  if (a.random.chance(0.2) && !isExpired(last)) await afterExpiry(a, last);
}

async function linkJourney(a: Actions, tenant: Tenant, workflow: string): Promise<void> {
  const m = await a.createLink(tenant, workflow);
  if (!m) return;
  await a.exchange(m);
  if (a.random.chance(0.3)) {
    await a.issueLink(m);
    if (a.random.chance(0.5)) await a.probe(m);
    await a.exchange(m);
  }
  await drive(a, m);
}

/** A session left to expire, then submitted to again: alone, or twice at once from two instances. */
async function expiryJourney(a: Actions, tenant: Tenant, workflow: string): Promise<void> {
  const m = await a.create(tenant, workflow);
  if (!m) return;
  for (let i = a.random.int(0, 2); i > 0 && takesInput(m); i--) await a.submit(m);
  if (a.random.chance(0.3) && takesInput(m)) {
    await a.submit(m, { complete: true, warn: warnings(a) });
    if (m.state === "WARNING" && a.random.chance(0.5)) await a.acknowledgeAll(m);
  }
  await afterExpiry(a, m);
}

async function afterExpiry(a: Actions, m: SessionModel): Promise<void> {
  await a.nap(m.expireAt - Date.now() + a.random.int(0, 400));
  if (a.stopped()) return;
  if (a.random.chance(0.3)) await a.read(m);
  const replacement = await a.replace(m, a.random.chance(0.5));
  if (!replacement) return;
  if (a.random.chance(0.2)) await a.sender.replayLate();
  if (a.random.chance(0.6)) await drive(a, replacement);
}

async function abandonJourney(a: Actions, tenant: Tenant, workflow: string): Promise<void> {
  const m = a.random.chance(0.5) ? await a.create(tenant, workflow) : await a.createLink(tenant, workflow);
  if (!m) return;
  if (m.origin === "LINK") await a.exchange(m);
  if (a.random.chance(0.5)) await a.submit(m);
  await a.fail(m);
  if (isClosed(m)) await a.probe(m);
  await between(a, m);
}

/** A well-formed id the tenant never saw: a new session, told apart from a plain creation. */
async function unknownIdJourney(a: Actions, tenant: Tenant, workflow: string): Promise<void> {
  const m = await a.create(tenant, workflow, a.random.uuid());
  if (m) await drive(a, m);
}

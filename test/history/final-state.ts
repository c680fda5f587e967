import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { ConnectError } from "@connectrpc/connect";
import type { AuditRecord } from "../../gen/sessionflow/v1/audit_pb.js";
import { LifecycleEventType } from "../../gen/sessionflow/v1/event_pb.js";
import { SessionState, type Session } from "../../gen/sessionflow/v1/session_pb.js";
import { failureCall, getSessionCall } from "./calls.js";
import type { Tenant } from "./cluster.js";
import type { History } from "./history.js";
import type { Random } from "./random.js";
import type { CallSpec, Rpc, Services } from "./rpc.js";

/** One event of a tenant's feed as a from-the-beginning WatchEvents read returns it. */
export interface FeedEntry {
  index: number;
  cursor: string;
  sessionId: string;
  workflow: string;
  sequence: number;
  type: string;
  related: string;
}

/** The final state of one tenant, read through the RPCs after the workload stopped. */
export interface TenantTruth {
  tenant: string;
  /** Every session ListSessions finds, as GetSession shows it (full view). */
  sessions: Map<string, Session>;
  feed: FeedEntry[];
  audits: Map<string, { records: AuditRecord[]; verified: boolean }>;
  /** Billed session ids, one entry per billable event. */
  billed: string[];
  /** What could not be read, or read two ways disagreed on; each is a violation of the check it names. */
  problems: { check: "subscriptions" | "refusals"; message: string }[];
}

const final = { actor: "final", pattern: "final" as const };

async function inParallel<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function listSessions(rpc: Rpc, tenant: Tenant, states: SessionState[]): Promise<Session[] | undefined> {
  const out: Session[] = [];
  let pageToken = "";
  for (let page = 0; page < 1000; page++) {
    const spec: CallSpec<Awaited<ReturnType<Services["sessions"]["listSessions"]>>> = {
      kind: "ListSessions",
      tenant: tenant.id,
      auth: tenant.key,
      request: { states: states.map((s) => SessionState[s]).join(","), page },
      invoke: (s, o) => s.sessions.listSessions({ pageSize: 500, pageToken, states }, o),
      fields: (r) => ({ count: r.sessions.length }),
    };
    const answer = await rpc.call(spec, rpc.endpoints[0]!, final);
    if (!answer.ok) return undefined;
    out.push(...answer.value.sessions);
    pageToken = answer.value.nextPageToken;
    if (!pageToken) return out;
  }
  return out;
}

/**
 * Ends every session still open, so nothing changes while the final state is read (a session
 * that expired meanwhile answers SESSION_CLOSED, which is fine). Sweeps and in-flight work of
 * calls the clients cut off could otherwise add events after the feed was read.
 */
export async function closeOut(rpc: Rpc, tenants: readonly Tenant[], random: Random): Promise<void> {
  for (const tenant of tenants) {
    for (let round = 0; round < 5; round++) {
      const open = await listSessions(rpc, tenant, [SessionState.OPEN, SessionState.ANALYSING, SessionState.WARNING]);
      if (!open || open.length === 0) break;
      await inParallel(open, 16, async (s) => {
        const expiresAt = s.expireTime ? timestampMs(s.expireTime) : 0;
        await rpc.call(
          failureCall({ tenant: tenant.id, auth: tenant.key }, s.id, random.uuid(), { outcome: "ok", expiresAt }, "CHECKER_CLOSE"),
          rpc.pick(random),
          final,
        );
      });
    }
  }
}

/** Reads a tenant's whole feed from the beginning, until it holds `expected` events and then goes idle. */
async function readFeed(rpc: Rpc, tenant: Tenant, expected: number, deadlineMs: number): Promise<{ feed: FeedEntry[]; problem?: string }> {
  const feed: FeedEntry[] = [];
  const controller = new AbortController();
  const deadline = setTimeout(() => controller.abort(), deadlineMs);
  let problem: string | undefined;
  try {
    const stream = rpc.endpoints[0]!.services.events.watchEvents(
      { fromBeginning: true },
      { signal: controller.signal, headers: { authorization: `Bearer ${tenant.key}` } },
    );
    for await (const r of stream) {
      if (r.kind.case === "event") {
        const e = r.kind.value;
        feed.push({
          index: feed.length,
          cursor: e.cursor,
          sessionId: e.sessionId,
          workflow: e.workflow,
          sequence: Number(e.sequence),
          type: LifecycleEventType[e.type] ?? String(e.type),
          related: e.relatedSessionId,
        });
      } else if (feed.length >= expected) {
        break; // idle for a heartbeat interval with everything read
      }
    }
  } catch (e) {
    if (!controller.signal.aborted) problem = `reading the feed failed: ${ConnectError.from(e).message}`;
  } finally {
    clearTimeout(deadline);
  }
  if (feed.length !== expected) problem ??= `the feed holds ${feed.length} events, the sessions' last sequences add up to ${expected}`;
  return { feed, ...(problem ? { problem } : {}) };
}

export async function readTruth(rpc: Rpc, history: History, tenants: readonly Tenant[]): Promise<Map<string, TenantTruth>> {
  const truths = new Map<string, TenantTruth>();
  for (const tenant of tenants) {
    const problems: TenantTruth["problems"] = [];
    const list = (await listSessions(rpc, tenant, [])) ?? [];
    if (list.length === 0) problems.push({ check: "refusals", message: "ListSessions returned nothing" });
    const expected = list.reduce((sum, s) => sum + Number(s.lastEventSequence), 0);
    const { feed, problem } = await readFeed(rpc, tenant, expected, 10_000);
    if (problem) problems.push({ check: "subscriptions", message: problem });

    const sessions = new Map<string, Session>();
    const audits = new Map<string, { records: AuditRecord[]; verified: boolean }>();
    let turn = 0;
    await inParallel(list, 16, async (s) => {
      // Each session read again on its own, from another instance: both reads must agree (nothing changes any more).
      const got = await rpc.call(getSessionCall({ tenant: tenant.id, auth: tenant.key }, s.id), rpc.endpoints[turn++ % rpc.endpoints.length]!, final);
      const read = got.ok ? got.value.session : undefined;
      if (!read) problems.push({ check: "refusals", message: `GetSession(${s.id}) failed: ${got.ok ? "no session" : `${got.code} ${got.reason}`}` });
      else if (read.version !== s.version || read.state !== s.state || read.lastEventSequence !== s.lastEventSequence) {
        problems.push({
          check: "refusals",
          message: `ListSessions and GetSession disagree on session ${s.id}: version ${s.version} / ${read.version}, state ${SessionState[s.state]} / ${SessionState[read.state]}, last sequence ${s.lastEventSequence} / ${read.lastEventSequence}`,
        });
      }
      sessions.set(s.id, read ?? s);
      const answer = await rpc.call(
        {
          kind: "GetAuditTrail",
          tenant: tenant.id,
          auth: tenant.key,
          sessionId: s.id,
          request: { sessionId: s.id },
          invoke: (c, o) => c.sessions.getAuditTrail({ sessionId: s.id }, o),
          fields: (r) => ({ count: r.records.length }),
        },
        rpc.endpoints[turn++ % rpc.endpoints.length]!,
        final,
      );
      if (answer.ok) audits.set(s.id, { records: answer.value.records, verified: answer.value.chainVerified });
      else problems.push({ check: "refusals", message: `GetAuditTrail(${s.id}) failed: ${answer.code} ${answer.reason}` });
    });

    const billed: string[] = [];
    // One query for every page: a page token belongs to the query that made it.
    const billingEnd = Date.now() + 60_000;
    let pageToken = "";
    for (let page = 0; page < 1000; page++) {
      const answer = await rpc.call(
        {
          kind: "ListBillableEvents",
          tenant: tenant.id,
          auth: tenant.key,
          request: { page },
          invoke: (c, o) =>
            c.billing.listBillableEvents(
              { startTime: timestampFromMs(history.startMs - 60_000), endTime: timestampFromMs(billingEnd), pageSize: 500, pageToken },
              o,
            ),
          fields: (r) => ({ count: r.events.length }),
        },
        rpc.endpoints[0]!,
        final,
      );
      if (!answer.ok) {
        problems.push({ check: "refusals", message: `ListBillableEvents failed: ${answer.code} ${answer.reason}` });
        break;
      }
      billed.push(...answer.value.events.map((e) => e.sessionId));
      pageToken = answer.value.nextPageToken;
      if (!pageToken) break;
    }
    truths.set(tenant.id, { tenant: tenant.id, sessions, feed, audits, billed, problems });
  }
  return truths;
}

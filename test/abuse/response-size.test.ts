import { toBinary } from "@bufbuild/protobuf";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionLimits } from "../../src/domain/limits.js";
import { GetSessionResponseSchema, ListSessionsResponseSchema, SessionService, SessionView } from "../../gen/sessionflow/v1/session_service_pb.js";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";
import { transportFor } from "../support/clients.js";
import { createDomainHarness } from "../support/domain-harness.js";
import { startAbuseServer, type AbuseServer } from "./abuse-server.js";
import { refusalOf } from "./refusal.js";

// The largest values the service accepts, in three-byte characters (see test/store/document-size.test.ts).
const wide = (n: number) => "語".repeat(n);
const fat = {
  workflow: "w".repeat(64),
  identity: {
    fullName: wide(200),
    email: `${wide(249)}@x.io`,
    phone: "9".repeat(32),
    address: { lines: Array.from({ length: 5 }, () => wide(200)), locality: wide(100), administrativeArea: wide(100), postalCode: wide(20), regionCode: "GB" },
  },
  device: { deviceId: wide(128), ipAddress: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", userAgent: wide(512), automationFlags: Array.from({ length: 16 }, () => wide(64)) },
};

describe("response sizes", () => {
  let server: AbuseServer;
  let sessions: Client<typeof SessionService>;
  let fatIds: string[];
  const roomy = { ratePerSecond: 100_000, burst: 100_000, maxCalls: 1_000 };

  beforeAll(async () => {
    server = await startAbuseServer({ callLimits: { tenant: roomy } });
    sessions = createClient(SessionService, transportFor("grpc-h2", server.url, server.key));
    // Three sessions with every submission at its largest, written through the use cases into the server's store.
    const h = createDomainHarness(server.store);
    fatIds = [];
    for (let n = 0; n < 3; n++) {
      const { session } = await h.sessions.submit(h.submit({ ...fat, step: `${wide(60)}0000` }));
      for (let i = 1; i < sessionLimits.submissions; i++) {
        await h.sessions.submit(h.submit({ ...fat, sessionId: session.id, step: `${wide(60)}${String(i).padStart(4, "0")}` }));
      }
      fatIds.push(session.id);
    }
    // And 120 small ones of another workflow, for the page-size ceilings.
    const submissions = createClient(SubmissionService, transportFor("grpc-h2", server.url, server.key));
    for (let i = 0; i < 120; i++) await submissions.submit({ workflow: "small", identity: { fullName: "Alice Liddell" } });
  }, 30_000);
  afterAll(() => server.close());

  it("lists sessions in the BASIC view by default: no per-call lists, so a page does not carry whole aggregates", async () => {
    const basic = await sessions.listSessions({ workflow: fat.workflow });
    expect(basic.sessions.map((s) => s.id).sort()).toEqual([...fatIds].sort());
    for (const s of basic.sessions) {
      expect(s.submissions).toEqual([]);
      expect(s.completedSteps).toEqual([]);
      expect(s.identity?.fullName).toBe(fat.identity.fullName);
      expect(s.lastEventSequence).toBeGreaterThan(0n);
    }
    const full = await sessions.listSessions({ workflow: fat.workflow, view: SessionView.FULL });
    for (const s of full.sessions) expect(s.submissions).toHaveLength(sessionLimits.submissions);

    const basicBytes = toBinary(ListSessionsResponseSchema, basic).length;
    const fullBytes = toBinary(ListSessionsResponseSchema, full).length;
    console.info(`3 largest sessions: BASIC page ${basicBytes} B, FULL page ${fullBytes} B`);
    // A BASIC page at its ceiling of 100 of the largest sessions stays under 1 MiB.
    expect((basicBytes / 3) * 100).toBeLessThan(1024 * 1024);
    expect(fullBytes).toBeGreaterThan(100 * basicBytes);
  });

  it("reads one session in FULL by default, and in BASIC when asked", async () => {
    const id = fatIds[0]!;
    const full = await sessions.getSession({ sessionId: id });
    expect(full.session?.submissions).toHaveLength(sessionLimits.submissions);
    const basic = await sessions.getSession({ sessionId: id, view: SessionView.BASIC });
    expect(basic.session?.submissions).toEqual([]);
    expect(toBinary(GetSessionResponseSchema, basic).length).toBeLessThan(16 * 1024);
  });

  it("caps page sizes lower: 100 sessions a page in BASIC, 10 in FULL", async () => {
    expect((await sessions.listSessions({ workflow: "small", pageSize: 500 })).sessions).toHaveLength(100);
    expect((await sessions.listSessions({ workflow: "small" })).sessions).toHaveLength(50);
    const full = await sessions.listSessions({ workflow: "small", pageSize: 500, view: SessionView.FULL });
    expect(full.sessions).toHaveLength(10);
    expect(full.nextPageToken).not.toBe("");
    expect((await sessions.listSessions({ workflow: "small", view: SessionView.FULL })).sessions).toHaveLength(10);
  });

  it("cuts a FULL page short at about 1 MiB, however large its sessions, and pages on from there", async () => {
    const seen: string[] = [];
    let pageToken = "";
    do {
      const page = await sessions.listSessions({ workflow: fat.workflow, view: SessionView.FULL, pageToken });
      // Each of these sessions is about 2 MiB, so each page holds one.
      expect(page.sessions).toHaveLength(1);
      expect(toBinary(ListSessionsResponseSchema, page).length).toBeLessThan(3 * 1024 * 1024);
      seen.push(...page.sessions.map((s) => s.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(seen.sort()).toEqual([...fatIds].sort());
  });

  it("refuses a view it does not know", async () => {
    expect(await refusalOf(sessions.listSessions({ view: 7 as SessionView }))).toMatchObject({ code: Code.InvalidArgument, reason: "INVALID_REQUEST" });
    expect(await refusalOf(sessions.getSession({ sessionId: fatIds[0]!, view: 7 as SessionView }))).toMatchObject({ code: Code.InvalidArgument });
  });
});

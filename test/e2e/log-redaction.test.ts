import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { Writable } from "node:stream";
import { clientsFor, urlFor } from "../support/clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/** SPEC §6: logs never contain personal data or secrets, whatever the request did. */
describe("log redaction", () => {
  let server: TestServer;
  const pii = {
    fullName: "Zebediah Quux-Personal",
    email: "zebediah.private@example.org",
    phone: "+447700900987",
    address: { lines: ["77 Secretive Mews"], locality: "Hiddenton", postalCode: "HD1 9ZZ", regionCode: "GB" },
    dateOfBirth: "1977-07-07",
  };

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it("keeps submitted personal data, API keys and bodies out of the server's logs", async () => {
    for (const protocol of ["connect-json-h1", "grpc-h2", "grpc-web-h1", "native-grpc"] as const) {
      const c = clientsFor(protocol, urlFor(protocol, server), server.keys.acme);
      const res = await c.submissions.submit({ workflow: "bank-signup", identity: pii, device: { ipAddress: "203.0.113.77", deviceId: "device-secret-42" } });
      await c.submissions.submit({ sessionId: res.session!.id, workflow: "bank-signup", identity: pii });
      await c.submissions.submit({ workflow: "bank-signup", identity: { ...pii, email: "bad-address-zebediah" } }).catch(() => {});
      await c.sessions.getAuditTrail({ sessionId: res.session!.id });
    }
    await clientsFor("connect-json-h1", server.baseUrl, "sf_k_leaky_secretkey").sessions.listSessions({}).catch(() => {});
    const logs = server.logs();
    expect(logs.split("\n").filter(Boolean).length).toBeGreaterThanOrEqual(17);
    for (const secret of [
      "Zebediah", "zebediah", "+447700900987", "7700900987", "Secretive", "Hiddenton", "HD1 9ZZ", "1977-07-07",
      "203.0.113.77", "device-secret-42", server.keys.acme, "secretkey",
    ]) {
      expect(logs, `log output contains ${secret}`).not.toContain(secret);
    }
  });

  it("censors personal fields and secrets even when an object is logged by mistake", () => {
    let out = "";
    const logger = createLogger("info", new Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) }));
    logger.info({ identity: pii, req: { headers: { authorization: "Bearer sf_k_x_y" } }, session: { email: pii.email, phone: pii.phone, linkToken: "lt-123" } }, "oops");
    for (const secret of ["Zebediah", pii.email, pii.phone, "sf_k_x_y", "lt-123"]) expect(out).not.toContain(secret);
    expect(out).toContain("[redacted]");
  });
});

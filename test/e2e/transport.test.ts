import { execFile } from "node:child_process";
import http2 from "node:http2";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Disposition } from "../../gen/sessionflow/v1/session_pb.js";
import { createClient } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/health/v1/health_pb.js";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";
import { bearer, clientsFor, transportFor, type Protocol } from "../support/clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const run = promisify(execFile);
const buf = new URL("../../node_modules/.bin/buf", import.meta.url).pathname;

/** One port: every protocol and both HTTP versions, health, reflection, probes and CORS. */
describe("one port, every protocol", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it.each(["connect-json-h1", "connect-binary-h1", "grpc-h2", "grpc-web-h1"] as Protocol[])("serves %s", async (protocol) => {
    const c = clientsFor(protocol, server.baseUrl, server.keys.acme);
    const created = await c.submissions.submit({ workflow: "bank-signup", identity: { email: "a@example.com" } });
    expect(created.disposition).toBe(Disposition.CREATED);
    const got = await c.sessions.getSession({ sessionId: created.session!.id });
    expect(got.session!.identity!.email).toBe("a@example.com");
  });

  it.each([
    ["Connect", createConnectTransport],
    ["gRPC-Web", createGrpcWebTransport],
  ] as const)("serves %s over cleartext HTTP/2 as well", async (_name, makeTransport) => {
    const transport = makeTransport({ baseUrl: server.baseUrl, httpVersion: "2", interceptors: [bearer(server.keys.acme)] });
    const res = await createClient(SubmissionService, transport).submit({ workflow: "bank-signup" });
    expect(res.disposition).toBe(Disposition.CREATED);
  });

  it("answers grpc.health.v1 for the server and each service, without credentials", async () => {
    const health = createClient(Health, transportFor("grpc-h2", server.baseUrl));
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await health.check({ service: "sessionflow.v1.SubmissionService" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    await expect(health.check({ service: "nope.Service" })).rejects.toMatchObject({ code: 5 });
    const listed = await health.list({});
    expect(Object.keys(listed.statuses)).toContain("sessionflow.v1.SessionService");
    const watch = health.watch({ service: "" })[Symbol.asyncIterator]();
    expect((await watch.next()).value?.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    await watch.return?.();
  });

  it("lets buf curl list and call services through reflection, with no proto files", async () => {
    const services = await run(buf, ["curl", "--http2-prior-knowledge", "--list-services", server.baseUrl]);
    expect(services.stdout.trim().split("\n")).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "sessionflow.v1.AcknowledgementService",
      "sessionflow.v1.BillingService",
      "sessionflow.v1.CheckService",
      "sessionflow.v1.ClientAuthService",
      "sessionflow.v1.ConfigurationService",
      "sessionflow.v1.DecisionService",
      "sessionflow.v1.EventService",
      "sessionflow.v1.MetricsService",
      "sessionflow.v1.OutcomeService",
      "sessionflow.v1.SessionService",
      "sessionflow.v1.SubmissionService",
    ]);
    const methods = await run(buf, ["curl", "--http2-prior-knowledge", "--list-methods", server.baseUrl]);
    expect(methods.stdout).toContain("sessionflow.v1.SubmissionService/Submit");
    const submit = await run(buf, [
      "curl", "--http2-prior-knowledge", "--protocol", "grpc",
      "-H", `Authorization: Bearer ${server.keys.acme}`,
      "-d", '{"workflow":"bank-signup","identity":{"email":"b@example.com"}}',
      `${server.baseUrl}/sessionflow.v1.SubmissionService/Submit`,
    ]);
    expect(JSON.parse(submit.stdout)).toMatchObject({ disposition: "DISPOSITION_CREATED", session: { workflow: "bank-signup" } });
  });

  it("serves plain HTTP probes", async () => {
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${server.baseUrl}/readyz`)).text()).toBe("ready\n");
    expect((await fetch(`${server.baseUrl}/nope`)).status).toBe(404);
  });

  it("answers CORS preflights for browsers and exposes the disposition header", async () => {
    const pre = await fetch(`${server.baseUrl}/sessionflow.v1.SubmissionService/Submit`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type,connect-protocol-version" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    expect(pre.headers.get("access-control-allow-methods")).toMatch(/POST/);
    const res = await fetch(`${server.baseUrl}/sessionflow.v1.SubmissionService/Submit`, {
      method: "POST",
      headers: { origin: "https://app.example.com", "content-type": "application/json", authorization: `Bearer ${server.keys.acme}` },
      body: JSON.stringify({ workflow: "bank-signup" }),
    });
    expect(res.headers.get("access-control-expose-headers")).toMatch(/sessionflow-disposition/);
    expect(res.headers.get("sessionflow-disposition")).toBe("created");
  });

  it("serves the same API on the optional HTTP/2-only port, and closes it on shutdown", async () => {
    const { port } = await server.app.h2c.listen(0, "127.0.0.1");
    const c = clientsFor("grpc-h2", `http://127.0.0.1:${port}`, server.keys.acme);
    const created = await c.submissions.submit({ workflow: "bank-signup" });
    expect((await c.sessions.getSession({ sessionId: created.session!.id })).session!.id).toBe(created.session!.id);
    await expect(clientsFor("grpc-h2", `http://127.0.0.1:${port}`).sessions.listSessions({})).rejects.toMatchObject({ code: 16 });
  });

  it("routes raw HTTP/2 prior-knowledge connections and HTTP/1.1 on the same port", async () => {
    const session = http2.connect(server.baseUrl);
    const status = await new Promise<number>((resolve, reject) => {
      const req = session.request({ ":path": "/healthz" });
      req.on("response", (h) => resolve(Number(h[":status"])));
      req.on("error", reject);
      req.end();
    });
    session.close();
    expect(status).toBe(200);
  });
});

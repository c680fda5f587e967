import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import http2 from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { EventService } from "../../gen/sessionflow/v1/event_service_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/health/v1/health_pb.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";
import {
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { refusalOf } from "../abuse/refusal.js";
import { startAbuseServer, type AbuseServer } from "../abuse/abuse-server.js";
import { transportFor } from "../support/clients.js";
import { createGrpcJsClient } from "../support/grpc-js-client.js";

/** What the native port must do exactly as the main port does, and what only it has. */
describe("the native gRPC port", () => {
  let server: AbuseServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** A grpc-js call's error as a client sees it on the wire: code, text, and the raw status details. */
  async function failureOf(port: number, key: string, service: string, method: string, request: Record<string, unknown>) {
    const client = createGrpcJsClient(port, key);
    try {
      await client.call(service, method, request);
      throw new Error("the call succeeded");
    } catch (e) {
      const error = e as grpc.ServiceError;
      // grpc-js decodes grpc-message with decodeURI, which leaves connect-node's %3A and %2C as they are.
      return { code: error.code, details: decodeURIComponent(error.details), statusDetails: error.metadata.get("grpc-status-details-bin")[0] };
    } finally {
      client.close();
    }
  }

  it.each([
    ["a field violation (ErrorInfo and BadRequest)", "SessionService", "GetSession", { session_id: "not-a-uuid" }],
    ["an unknown session (ErrorInfo)", "SessionService", "GetSession", { session_id: "0197f665-6c88-7512-bc33-a7605d487377" }],
    ["a missing workflow (BadRequest with several fields)", "SubmissionService", "Submit", { identity: { email: "nope" } }],
  ])("sends the very bytes of grpc-status-details-bin the main port sends, for %s", async (_name, service, method, request) => {
    server = await startAbuseServer();
    const main = await failureOf(server.port, server.key, service, method, request);
    const native = await failureOf(server.grpcPort, server.key, service, method, request);
    expect(main.statusDetails).toBeInstanceOf(Buffer);
    expect(native).toEqual(main);
  });

  it("refuses an undecodable request with INVALID_ARGUMENT and the catalog reason, as the main port does", async () => {
    server = await startAbuseServer({ logs: true });
    const garbage = (port: number) => {
      const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      const metadata = new grpc.Metadata();
      metadata.set("authorization", `Bearer ${server!.key}`);
      return new Promise<grpc.ServiceError>((resolve) => {
        client.makeUnaryRequest(
          "/sessionflow.v1.SubmissionService/Submit",
          () => Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), // a length past the end of the message
          (b: Buffer) => b,
          {},
          metadata,
          (err) => {
            client.close();
            resolve(err!);
          },
        );
      });
    };
    const [main, native] = [await garbage(server.port), await garbage(server.grpcPort)];
    expect(native.code).toBe(Code.InvalidArgument);
    expect(native.details).toBe(decodeURIComponent(main.details));
    expect(native.metadata.get("grpc-status-details-bin")).toEqual(main.metadata.get("grpc-status-details-bin"));
    expect(server.logs()).toMatch(/"procedure":"sessionflow.v1.SubmissionService\/Submit","code":"InvalidArgument"/);
  });

  /** Sends `body` as a whole gRPC request on a raw HTTP/2 stream; resolves with the trailers' status. */
  function rawCall(port: number, path: string, body: Buffer): Promise<{ status: string | undefined; message: string | undefined }> {
    return new Promise((resolve, reject) => {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on("error", reject);
      const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
      let headers: http2.IncomingHttpHeaders = {};
      stream.on("response", (h) => (headers = h));
      stream.on("trailers", (t) => (headers = { ...headers, ...t }));
      stream.on("data", () => {});
      stream.on("close", () => {
        session.close();
        resolve({ status: headers["grpc-status"] as string | undefined, message: headers["grpc-message"] as string | undefined });
      });
      stream.end(body);
    });
  }

  it("refuses a request with no message, or a cut one, with INVALID_ARGUMENT, logged as a refusal, not as our failure", async () => {
    server = await startAbuseServer({ logs: true });
    for (const [path, body] of [
      ["/grpc.health.v1.Health/Check", Buffer.alloc(0)],
      ["/grpc.health.v1.Health/Check", Buffer.from([0, 0, 0, 0, 9, 1, 2])],
      ["/sessionflow.v1.SessionService/GetSession", Buffer.alloc(0)],
      ["/grpc.health.v1.Health/Watch", Buffer.alloc(0)],
    ] as const) {
      expect((await rawCall(server.grpcPort, path, body)).status).toBe(String(Code.InvalidArgument));
    }
    expect(server.logs()).not.toMatch(/"level":50/);
  });

  it("sends one status for a request over the size cap, and logs no error for it", async () => {
    server = await startAbuseServer({ logs: true, maxRequestBytes: 4096 });
    // A frame that claims a 2 GiB message.
    const { status } = await rawCall(server.grpcPort, "/grpc.health.v1.Health/Check", Buffer.from([0, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3]));
    expect(status).toBe(String(Code.ResourceExhausted));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.logs()).not.toMatch(/"level":50/);
  });

  it("refuses a request over the size cap with RESOURCE_EXHAUSTED and REQUEST_TOO_LARGE, and logs it", async () => {
    server = await startAbuseServer({ logs: true, maxRequestBytes: 4096 });
    const client = createClient(SubmissionService, transportFor("native-grpc", server.grpcUrl, server.key));
    const refusal = await refusalOf(client.submit({ workflow: "kyc", identity: { fullName: "x".repeat(10_000) } }));
    expect(refusal).toMatchObject({ code: Code.ResourceExhausted, reason: "REQUEST_TOO_LARGE" });
    expect(server.logs()).toMatch(/"code":"ResourceExhausted","ms":[\d.]+,"msg":"rpc"/);
    expect(server.logs()).not.toContain("xxxxxxxx");
  });

  it("ends a stream whose deadline passes with DEADLINE_EXCEEDED and the catalog reason, never OK", async () => {
    server = await startAbuseServer();
    const submissions = createClient(SubmissionService, transportFor("native-grpc", server.grpcUrl, server.key));
    const { session } = await submissions.submit({ workflow: "kyc" });
    const events = createClient(EventService, transportFor("native-grpc", server.grpcUrl, server.key));
    const refusal = await refusalOf(
      (async () => {
        // The deadline is sent without a client-side timer, so what ends the stream is the server's answer.
        for await (const _ of events.watchSession({ sessionId: session!.id }, { headers: { "grpc-timeout": "200m" } }));
      })(),
    );
    expect(refusal).toMatchObject({ code: Code.DeadlineExceeded, reason: "DEADLINE_EXCEEDED" });
  });

  it("holds a tenant's streams to one cap across both ports", async () => {
    server = await startAbuseServer({ maxStreamsPerTenant: 2 });
    const open = (url: string) => {
      const controller = new AbortController();
      const it = createClient(EventService, transportFor("grpc-h2", url, server!.key)).watchEvents({}, { signal: controller.signal })[Symbol.asyncIterator]();
      return { first: it.next(), stop: () => controller.abort() };
    };
    const a = open(server.url);
    const b = open(server.grpcUrl);
    await new Promise((r) => setTimeout(r, 100));
    const third = await refusalOf(open(server.grpcUrl).first);
    expect(third).toMatchObject({ code: Code.ResourceExhausted, reason: "TOO_MANY_STREAMS" });
    a.stop();
    b.stop();
    await Promise.allSettled([a.first, b.first]);
  });

  it("spends one budget per tenant across both ports, refusing with RATE_LIMITED and RetryInfo", async () => {
    server = await startAbuseServer({ callLimits: { tenant: { ratePerSecond: 0.5, burst: 2, maxCalls: 100 } } });
    const main = createClient(SessionService, transportFor("grpc-h2", server.url, server.key));
    const native = createClient(SessionService, transportFor("native-grpc", server.grpcUrl, server.key));
    // A point read of an unknown session costs one call of the budget.
    const read = { sessionId: "0197f665-6c88-7512-bc33-a7605d487377" };
    expect(await refusalOf(main.getSession(read))).toMatchObject({ reason: "SESSION_NOT_FOUND" });
    expect(await refusalOf(native.getSession(read))).toMatchObject({ reason: "SESSION_NOT_FOUND" });
    const refused = await refusalOf(native.getSession(read));
    expect(refused).toMatchObject({ code: Code.ResourceExhausted, reason: "RATE_LIMITED" });
    expect(refused?.retryMs).toBeGreaterThan(0);
  });

  it("caps health watches for both ports together", async () => {
    server = await startAbuseServer({ maxHealthWatches: 1 });
    const controller = new AbortController();
    const first = createClient(Health, transportFor("grpc-h2", server.url)).watch({ service: "" }, { signal: controller.signal })[Symbol.asyncIterator]();
    expect((await first.next()).value?.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const second = createClient(Health, transportFor("native-grpc", server.grpcUrl)).watch({ service: "" })[Symbol.asyncIterator]();
    expect(await refusalOf(second.next())).toMatchObject({ code: Code.ResourceExhausted, reason: "TOO_MANY_STREAMS" });
    controller.abort();
    await first.next().catch(() => undefined);
  });

  it("authenticates and checks scopes like the main port", async () => {
    server = await startAbuseServer();
    const anonymous = createClient(SessionService, transportFor("native-grpc", server.grpcUrl));
    expect(await refusalOf(anonymous.listSessions({}))).toMatchObject({ code: Code.Unauthenticated, reason: "UNAUTHENTICATED" });
    const forged = createClient(SessionService, transportFor("native-grpc", server.grpcUrl, "sf_k_000000000000_forged"));
    expect(await refusalOf(forged.listSessions({}))).toMatchObject({ code: Code.Unauthenticated });
  });

  it("ends streams and closes the port on shutdown, after the calls in flight", async () => {
    server = await startAbuseServer();
    const events = createClient(EventService, transportFor("native-grpc", server.grpcUrl, server.key));
    const stream = events.watchEvents({})[Symbol.asyncIterator]();
    const pending = refusalOf(stream.next().then(() => stream.next()));
    await new Promise((r) => setTimeout(r, 100));
    await server.app.shutdown(2_000);
    expect(await pending).toMatchObject({ code: Code.Unavailable, reason: "SHUTTING_DOWN" });
    const after = createClient(SessionService, transportFor("native-grpc", server.grpcUrl, server.key));
    expect(await refusalOf(after.listSessions({}))).toMatchObject({ code: Code.Unavailable });
    server = undefined;
  });

  it("serves grpc.reflection.v1 listing the same services as the main port", async () => {
    server = await startAbuseServer();
    const main = await listServices(server.port, "v1");
    expect(main).toContain("sessionflow.v1.SubmissionService");
    expect(await listServices(server.grpcPort, "v1")).toEqual(main);
  });

  // The native port hosts whatever app.ts registers, v1alpha included, with no code of its own.
  it("serves grpc.reflection.v1alpha listing the same services as the main port", async () => {
    server = await startAbuseServer();
    const main = await listServices(server.port, "v1alpha");
    expect(main).toContain("sessionflow.v1.SubmissionService");
    expect(await listServices(server.grpcPort, "v1alpha")).toEqual(main);
  });
});

/**
 * Lists the services over one version of gRPC reflection with a plain grpc-js client, as older
 * tools do; v1alpha's messages are v1's under another package. Undefined when not served.
 */
function listServices(port: number, version: "v1" | "v1alpha"): Promise<string[] | undefined> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(
    `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
    (m: ServerReflectionRequest) => Buffer.from(toBinary(ServerReflectionRequestSchema, m)),
    (b: Buffer) => fromBinary(ServerReflectionResponseSchema, b),
    new grpc.Metadata(),
  );
  const names: string[] = [];
  return new Promise<string[] | undefined>((resolve, reject) => {
    call.on("data", (res: ServerReflectionResponse) => {
      if (res.messageResponse.case === "listServicesResponse") names.push(...res.messageResponse.value.service.map((s) => s.name));
    });
    call.on("error", (e: grpc.ServiceError) => (e.code === grpc.status.UNIMPLEMENTED ? resolve(undefined) : reject(e)));
    call.on("end", () => resolve(names));
    call.write(create(ServerReflectionRequestSchema, { messageRequest: { case: "listServices", value: "" } }));
    call.end();
  }).finally(() => client.close());
}

import { Code, createClient } from "@connectrpc/connect";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EventService } from "../../gen/sessionflow/v1/event_service_pb.js";
import { createTracing, type Tracing } from "../../src/server/telemetry/tracing.js";
import { clientsFor, transportFor, urlFor, type Protocol } from "../support/clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const submit = "sessionflow.v1.SubmissionService/Submit";
const identity = { fullName: "Alice Liddell", email: "alice.liddell@example.com" };
const protocols: Protocol[] = ["connect-json-h1", "connect-binary-h1", "grpc-h2", "grpc-web-h1", "native-grpc"];

/** A caller's trace context, as a W3C traceparent header (sampled). */
function callerContext() {
  const traceId = randomBytes(16).toString("hex");
  const spanId = randomBytes(8).toString("hex");
  return { traceId, spanId, headers: { traceparent: `00-${traceId}-${spanId}-01` } };
}

describe("OpenTelemetry tracing", () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let server: TestServer;
  beforeAll(async () => {
    tracing = createTracing(new SimpleSpanProcessor(exporter));
    server = await startTestServer({ tracer: tracing.tracer });
  });
  afterAll(async () => {
    await server.close();
    await tracing.shutdown();
  });
  afterEach(() => exporter.reset());

  const inTrace = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const childrenOf = (span: ReadableSpan) => exporter.getFinishedSpans().filter((s) => s.parentSpanContext?.spanId === span.spanContext().spanId);

  it.each(protocols)("makes one server span per RPC over %s, in the caller's trace, with store and analyzer spans beneath it", async (protocol) => {
    const caller = callerContext();
    const c = clientsFor(protocol, urlFor(protocol, server), server.keys.acme);
    await c.submissions.submit({ workflow: "kyc", identity, complete: true }, { headers: caller.headers });

    const spans = inTrace(caller.traceId);
    const servers = spans.filter((s) => s.kind === SpanKind.SERVER);
    expect(servers).toHaveLength(1);
    const rpc = servers[0]!;
    expect(rpc.name).toBe(submit);
    expect(rpc.parentSpanContext?.spanId).toBe(caller.spanId);
    expect(rpc.attributes).toMatchObject({
      "rpc.system": protocol.startsWith("connect") ? "connect_rpc" : "grpc",
      "rpc.service": "sessionflow.v1.SubmissionService",
      "rpc.method": "Submit",
      "sessionflow.code": "ok",
      "sessionflow.tenant_id": "acme",
    });
    const children = childrenOf(rpc);
    const names = children.map((s) => s.name);
    expect(names).toContain("sessions.insert");
    expect(names).toContain("analyzer disposable-email");
    expect(names).toContain("analyzer device-automation");
    expect(children.every((s) => s.spanContext().traceId === caller.traceId)).toBe(true);
  });

  it("starts a trace of its own without a traceparent, and records the code of a refused call", async () => {
    const c = clientsFor("grpc-h2", server.baseUrl, server.keys.acme);
    await expect(c.submissions.submit({ workflow: "" })).rejects.toMatchObject({ code: Code.InvalidArgument });
    const [rpc, ...others] = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
    expect(others).toHaveLength(0);
    expect(rpc!.parentSpanContext).toBeUndefined();
    expect(rpc!.attributes).toMatchObject({ "sessionflow.code": "invalid_argument", "rpc.grpc.status_code": Code.InvalidArgument, "sessionflow.tenant_id": "acme" });
    // The caller's mistake is no server fault.
    expect(rpc!.status.code).toBe(SpanStatusCode.UNSET);

    const caller = callerContext();
    await expect(clientsFor("connect-json-h1", server.baseUrl, "wrong").submissions.submit({ workflow: "kyc" }, { headers: caller.headers })).rejects.toMatchObject({
      code: Code.Unauthenticated,
    });
    const [refused] = inTrace(caller.traceId).filter((s) => s.kind === SpanKind.SERVER);
    expect(refused!.attributes).toMatchObject({ "sessionflow.code": "unauthenticated", "rpc.connect_rpc.error_code": "unauthenticated" });
    expect(refused!.attributes["sessionflow.tenant_id"]).toBeUndefined();
  });

  it("spans a stream from open to end, with its store reads beneath it", async () => {
    await clientsFor("connect-json-h1", server.baseUrl, server.keys.acme).submissions.submit({ workflow: "kyc", identity });
    exporter.reset();
    const caller = callerContext();
    const controller = new AbortController();
    const events = createClient(EventService, transportFor("grpc-h2", server.baseUrl, server.keys.acme));
    for await (const _ of events.watchEvents({ fromBeginning: true }, { headers: caller.headers, signal: controller.signal })) break;
    controller.abort();
    await expect.poll(() => inTrace(caller.traceId).filter((s) => s.kind === SpanKind.SERVER)).toHaveLength(1);
    const rpc = inTrace(caller.traceId).find((s) => s.kind === SpanKind.SERVER)!;
    expect(rpc.name).toBe("sessionflow.v1.EventService/WatchEvents");
    expect(rpc.attributes["sessionflow.code"]).toBe("canceled");
    expect(childrenOf(rpc).map((s) => s.name)).toContain("events.read");
  });

  it("leaves store calls outside any RPC (the sweeper) untraced", async () => {
    await server.app.sweep();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });
});

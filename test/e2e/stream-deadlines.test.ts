import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { Health } from "../../gen/health/v1/health_pb.js";
import { EventService } from "../../gen/sessionflow/v1/event_service_pb.js";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";
import { bearer } from "../support/clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/**
 * Sends the protocol's timeout header without a client-side timer, as a browser, curl or a
 * client that leaves deadlines to the server would: what ends the stream is the server's deadline.
 */
function timeoutHeader(protocol: "connect" | "grpc" | "grpc-web", ms: number): Interceptor {
  return (next) => (req) => {
    if (protocol === "connect") req.header.set("connect-timeout-ms", String(ms));
    else req.header.set("grpc-timeout", `${ms}m`);
    return next(req);
  };
}

type Make = (baseUrl: string, key: string, ms: number) => Transport;
const transports: [string, Make][] = [
  ["Connect JSON, HTTP/1.1", (baseUrl, key, ms) => createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer(key), timeoutHeader("connect", ms)] })],
  ["Connect binary, HTTP/2", (baseUrl, key, ms) => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true, interceptors: [bearer(key), timeoutHeader("connect", ms)] })],
  ["gRPC", (baseUrl, key, ms) => createGrpcTransport({ baseUrl, interceptors: [bearer(key), timeoutHeader("grpc", ms)] })],
  ["gRPC-Web, HTTP/1.1", (baseUrl, key, ms) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer(key), timeoutHeader("grpc-web", ms)] })],
];

/** How a stream ended: the error it ended with, or undefined for a clean end. */
async function ending(stream: AsyncIterable<unknown>): Promise<ConnectError | undefined> {
  try {
    for await (const _ of stream) {
      // events and heartbeats before the deadline are fine
    }
    return undefined;
  } catch (e) {
    return ConnectError.from(e);
  }
}

/** A clean end of WatchSession means the terminal event came; a deadline must never look like that. */
describe("stream deadlines", () => {
  let server: TestServer;
  let h2cUrl: string;
  let sessionId: string;
  let lastSequence: string;
  beforeAll(async () => {
    server = await startTestServer({ heartbeatMs: 50 });
    h2cUrl = `http://127.0.0.1:${(await server.app.h2c.listen(0, "127.0.0.1")).port}`;
    const submissions = createClient(SubmissionService, createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [bearer(server.keys.acme)] }));
    const { session } = await submissions.submit({ workflow: "bank-signup" });
    sessionId = session!.id;
    lastSequence = String(session!.lastEventSequence);
  });
  afterAll(() => server.close());

  describe.each(["main", "h2c", "native gRPC"] as const)("on the %s port", (port) => {
    const url = () => (port === "main" ? server.baseUrl : port === "h2c" ? h2cUrl : server.grpcUrl);
    const cases =
      port === "main" ? transports : port === "h2c" ? transports.filter(([name]) => !name.includes("HTTP/1.1")) : transports.filter(([name]) => name === "gRPC");

    it.each(cases)("ends WatchSession with DEADLINE_EXCEEDED and the sequence to resume after, over %s", async (_name, make) => {
      const events = createClient(EventService, make(url(), server.keys.acme, 150));
      const error = await ending(events.watchSession({ sessionId }));
      expect(error?.code).toBe(Code.DeadlineExceeded);
      const info = error?.findDetails(ErrorInfoSchema)[0];
      expect(info?.reason).toBe("DEADLINE_EXCEEDED");
      expect(info?.metadata["resume_after_sequence"]).toBe(lastSequence);
    });

    it.each(cases)("ends WatchEvents with DEADLINE_EXCEEDED and the cursor to resume from, over %s", async (_name, make) => {
      const events = createClient(EventService, make(url(), server.keys.acme, 150));
      const error = await ending(events.watchEvents({ fromBeginning: true }));
      expect(error?.code).toBe(Code.DeadlineExceeded);
      const info = error?.findDetails(ErrorInfoSchema)[0];
      expect(info?.reason).toBe("DEADLINE_EXCEEDED");
      expect(info?.metadata["resume_cursor"]).toMatch(/.+/);
    });

    // A health watcher treats a clean end as the server hanging up; a deadline is the caller's own.
    it.each(cases)("ends grpc.health.v1 Health/Watch with DEADLINE_EXCEEDED, over %s", async (_name, make) => {
      const health = createClient(Health, make(url(), server.keys.acme, 150));
      const error = await ending(health.watch({ service: "" }));
      expect(error?.code).toBe(Code.DeadlineExceeded);
      expect(error?.findDetails(ErrorInfoSchema)[0]?.reason).toBe("DEADLINE_EXCEEDED");
    });
  });
});

import { createClient } from "@connectrpc/connect";
import http2 from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { transportFor } from "../support/clients.js";
import { startAbuseServer, type AbuseServer } from "./abuse-server.js";
import { refusalOf } from "./refusal.js";

/**
 * A request's body is read whole before authentication can look at it, so a stranger could
 * hold thousands of bodies in memory at once, each up to the request size cap. The requests
 * being read or handled are capped per process (SESSIONFLOW_MAX_CALLS): beyond it a request is
 * refused before its body is read, and its client retries.
 */
describe("requests whose bodies arrive slowly, or never end", () => {
  let server: AbuseServer | undefined;
  const sessions: http2.ClientHttp2Session[] = [];
  afterEach(async () => {
    for (const s of sessions.splice(0)) s.destroy();
    await server?.close();
    server = undefined;
  });

  /** A gRPC request with no credentials that sends part of a large message and never ends. */
  function stall(url: string): Promise<number | undefined> {
    const session = http2.connect(url);
    sessions.push(session);
    session.on("error", () => {});
    const stream = session.request({ ":method": "POST", ":path": "/sessionflow.v1.SessionService/GetSession", "content-type": "application/grpc", te: "trailers" });
    stream.on("error", () => {});
    stream.write(Buffer.concat([Buffer.from([0, 0, 0x0f, 0, 0]), Buffer.alloc(32 * 1024)])); // claims ~960 KiB, sends 32 KiB
    return new Promise((resolve) => {
      stream.on("response", (headers) => resolve(Number(headers[":status"])));
      setTimeout(() => resolve(undefined), 300);
    });
  }

  it("are capped per process: beyond the cap a request is refused at once, unread, and others pass once they end", async () => {
    server = await startAbuseServer({ callLimits: { maxCalls: 4 } });
    const answers = await Promise.all(Array.from({ length: 8 }, () => stall(server!.url)));
    // Four are being read (no answer yet); the other four were refused without reading.
    expect(answers.filter((a) => a === undefined)).toHaveLength(4);
    expect(answers.filter((a) => a === 503)).toHaveLength(4);
    const client = createClient(SessionService, transportFor("grpc-h2", server.url, server.key));
    expect((await refusalOf(client.listSessions({})))?.code).toBe(14); // UNAVAILABLE: retry
    for (const s of sessions.splice(0)) s.destroy();
    await expect.poll(async () => (await refusalOf(client.listSessions({}))) === undefined, { timeout: 2_000 }).toBe(true);
  });
});

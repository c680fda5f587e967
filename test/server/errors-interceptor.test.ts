import { Code, ConnectError, createContextValues, type StreamRequest, type StreamResponse } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { captureLogs } from "../support/log-capture.js";
import { createErrorInterceptor } from "../../src/server/interceptors/errors.js";

const capture = () => captureLogs();

function streamRequest(): StreamRequest {
  return {
    stream: true,
    service: { typeName: "sessionflow.v1.EventService" },
    method: { name: "WatchEvents" },
    header: new Headers(),
    contextValues: createContextValues(),
  } as unknown as StreamRequest;
}

/** A server stream the transport fails to write to, the way Node reports a client that reset it. */
async function writeFailsWith(code: string) {
  const { lines, logger } = capture();
  async function* events() {
    for (;;) yield {};
  }
  const res = (await createErrorInterceptor(logger)(async () => ({ stream: true, header: new Headers(), trailer: new Headers(), message: events() }) as unknown as StreamResponse)(streamRequest())) as StreamResponse;
  const it = res.message[Symbol.asyncIterator]();
  await it.next();
  const gone = Object.assign(new Error("The stream has been destroyed"), { code });
  const ended = await it.throw!(gone).then(() => undefined, (e: unknown) => ConnectError.from(e));
  await new Promise((resolve) => setImmediate(resolve));
  return { ended, lines };
}

describe("errors interceptor", () => {
  it("treats a stream its client reset as cancelled, not as an unexpected failure", async () => {
    for (const code of ["ERR_HTTP2_INVALID_STREAM", "ERR_STREAM_DESTROYED", "ERR_STREAM_PREMATURE_CLOSE", "ECONNRESET", "EPIPE"]) {
      const { ended, lines } = await writeFailsWith(code);
      expect(ended?.code).toBe(Code.Canceled);
      expect(lines).toEqual([]);
    }
  });

  it("still logs a failure that is not the client going away", async () => {
    const { ended, lines } = await writeFailsWith("ERR_SOMETHING_ELSE");
    expect(ended?.code).toBe(Code.Internal);
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["unexpected failure"]);
  });
});

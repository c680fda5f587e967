import { EventEmitter } from "node:events";
import { Code, ConnectError } from "@connectrpc/connect";
import { Metadata } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { CallContext } from "../../src/server/grpc-native/call-context.js";
import { NativeHandlerContext, NativeRequest } from "../../src/server/grpc-native/native-request.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";

function standIn(deadline: number = Infinity) {
  return Object.assign(new EventEmitter(), {
    cancelled: false,
    metadata: new Metadata(),
    getPeer: () => "127.0.0.1:40000",
    getDeadline: () => deadline,
    getHost: () => "127.0.0.1:50051",
  });
}

describe("the native call context's signal", () => {
  it("is made only when read, and a call cancelled before then gets a signal aborted with the reason", () => {
    const call = standIn();
    const context = new CallContext(call, "127.0.0.1:40000", false, new AbortController().signal);
    expect(context.aborted()).toBe(false);
    call.emit("cancelled");
    expect(context.aborted()).toBe(true);
    const signal = context.signal;
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(ConnectError);
    expect((signal.reason as ConnectError).code).toBe(Code.Canceled);
    expect(context.signal).toBe(signal);
  });

  it("aborts a signal already read when the caller goes away, with DEADLINE_EXCEEDED once the deadline has passed", () => {
    const call = standIn(Date.now() - 1);
    const context = new CallContext(call, "127.0.0.1:40000", false, new AbortController().signal);
    const signal = context.signal;
    expect(signal.aborted).toBe(false);
    call.emit("cancelled");
    expect(signal.aborted).toBe(true);
    expect(context.aborted()).toBe(true);
    expect((signal.reason as ConnectError).code).toBe(Code.DeadlineExceeded);
  });

  it("is not aborted by a 'cancelled' that only closes a finished call", () => {
    const call = standIn();
    const context = new CallContext(call, "127.0.0.1:40000", false, new AbortController().signal);
    context.finish();
    call.emit("cancelled");
    expect(context.aborted()).toBe(false);
    expect(context.signal.aborted).toBe(false);
  });

  it("reaches the request, a spread copy of it and the handler context alike", () => {
    const call = standIn();
    const context = new CallContext(call, "127.0.0.1:40000", false, new AbortController().signal);
    const method = SessionService.method.getSession;
    const req = new NativeRequest(SessionService, method, false, "http://127.0.0.1:50051/x", context);
    const copy = { ...req, signal: req.signal };
    const ctx = new NativeHandlerContext(copy as never, context);
    call.emit("cancelled");
    expect(req.signal.aborted).toBe(true);
    expect(copy.signal).toBe(req.signal);
    expect(ctx.signal).toBe(req.signal);
    expect(ctx.timeoutMs()).toBeUndefined();
    expect(ctx.values).toBe(context.values);
    expect(ctx.requestHeader).toBe(context.header);
  });
});

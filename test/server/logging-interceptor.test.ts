import { createContextValues, type Interceptor, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { captureLogs } from "../support/log-capture.js";
import { createLogger } from "../../src/logger.js";
import { createErrorInterceptor } from "../../src/server/interceptors/errors.js";
import { createLoggingInterceptor } from "../../src/server/interceptors/logging.js";

const capture = () => captureLogs();

const rid = "order-42";
function request(): UnaryRequest {
  return {
    stream: false,
    service: { typeName: "sessionflow.v1.SessionService" },
    method: { name: "GetSession" },
    header: new Headers({ "x-request-id": rid }),
    contextValues: createContextValues(),
  } as unknown as UnaryRequest;
}

/** Logging outside, errors inside, as app.ts lists them. */
function chain(logger: ReturnType<typeof createLogger>, handler: () => Promise<UnaryResponse>) {
  const interceptors: Interceptor[] = [createLoggingInterceptor(logger), createErrorInterceptor(logger)];
  return interceptors.reduceRight((next, interceptor) => interceptor(next as never) as never, handler as never) as unknown as (req: UnaryRequest) => Promise<UnaryResponse>;
}

const flush = () => new Promise((resolve) => setImmediate(resolve));
const withoutTiming = (line: string) => line.replace(/"time":"[^"]*"/, "").replace(/"ms":[0-9.]+/, "");

describe("logging interceptor", () => {
  it("writes the rpc line a per-request child logger would write, field for field and in order", async () => {
    const { lines, logger } = capture();
    const res = await chain(logger, async () => ({ stream: false, header: new Headers(), trailer: new Headers(), message: {} }) as unknown as UnaryResponse)(request());
    expect(res.header.get("x-request-id")).toBe(rid);
    const expected = capture();
    expected.logger.child({ rid, procedure: "sessionflow.v1.SessionService/GetSession" }).info({ code: "ok", ms: 0 }, "rpc");
    await flush();
    expect(lines.map(withoutTiming)).toEqual(expected.lines.map(withoutTiming));
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, rid, procedure: "sessionflow.v1.SessionService/GetSession", code: "ok", msg: "rpc" });
  });

  it("logs an unexpected failure with the request's id and procedure, then the rpc line", async () => {
    const { lines, logger } = capture();
    const failing = chain(logger, async () => {
      throw new Error("disk on fire");
    });
    await expect(failing(request())).rejects.toMatchObject({ code: 13 });
    await flush();
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed).toHaveLength(2);
    expect(parsed[0]).toMatchObject({ level: 50, rid, procedure: "sessionflow.v1.SessionService/GetSession", msg: "unexpected failure" });
    expect(parsed[1]).toMatchObject({ level: 40, rid, procedure: "sessionflow.v1.SessionService/GetSession", code: "Internal", msg: "rpc" });
  });
});

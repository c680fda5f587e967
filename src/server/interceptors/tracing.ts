import { Code, type Interceptor } from "@connectrpc/connect";
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type TextMapGetter, type Tracer } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { principalKey } from "../../service/context.js";
import { codeName, codeOf, streamEndCode } from "./rpc-outcome.js";

const propagator = new W3CTraceContextPropagator();
const headers: TextMapGetter<Headers> = {
  get: (carrier, key) => carrier.get(key) ?? undefined,
  keys: (carrier) => [...carrier.keys()],
};

/** Server-side codes that mean the server failed, as OpenTelemetry's RPC conventions list them; the rest are the caller's. */
const serverFaults = new Set<number>([Code.Unknown, Code.DeadlineExceeded, Code.Unimplemented, Code.Internal, Code.Unavailable, Code.DataLoss]);

/**
 * One SERVER span per call, a child of the caller's trace when the request carries a W3C
 * `traceparent` header (in every protocol it is a plain request header), and the active span
 * while the handler runs, so store calls and analyzers become its children. The tenant id is
 * added once authentication has named it; messages and credentials never are.
 */
export function createTracingInterceptor(tracer: Tracer): Interceptor {
  return (next) => async (req) => {
    const parent = propagator.extract(ROOT_CONTEXT, req.header, headers);
    const grpc = (req.header.get("content-type") ?? "").startsWith("application/grpc");
    const span = tracer.startSpan(
      `${req.service.typeName}/${req.method.name}`,
      {
        kind: SpanKind.SERVER,
        attributes: { "rpc.system": grpc ? "grpc" : "connect_rpc", "rpc.service": req.service.typeName, "rpc.method": req.method.name },
      },
      parent,
    );
    const active = trace.setSpan(parent, span);
    const end = (code: number) => finish(span, req.contextValues.get(principalKey)?.tenantId, grpc, code);
    let res;
    try {
      res = await context.with(active, () => next(req));
    } catch (e) {
      end(codeOf(e));
      throw e;
    }
    if (!res.stream) {
      end(0);
      return res;
    }
    return { ...res, message: tracedStream(res.message, active, req.signal, end) };
  };
}

/** The handler's stream, each step run in the call's context; the span ends with the stream. */
async function* tracedStream<T>(
  source: AsyncIterable<T>,
  active: Context,
  signal: AbortSignal,
  end: (code: number) => void,
): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let done = false;
  // Stopped by its consumer before the end: the client went away.
  let code: number = Code.Canceled;
  try {
    for (;;) {
      const step = await context.with(active, () => it.next());
      if (step.done) break;
      yield step.value;
    }
    done = true;
    code = streamEndCode(signal);
  } catch (e) {
    done = true; // a source that threw is finished
    code = codeOf(e);
    throw e;
  } finally {
    if (!done) await context.with(active, async () => it.return?.());
    end(code);
  }
}

function finish(span: Span, tenantId: string | undefined, grpc: boolean, code: number): void {
  const name = codeName(code);
  span.setAttribute("sessionflow.code", name);
  if (tenantId !== undefined) span.setAttribute("sessionflow.tenant_id", tenantId);
  if (grpc) span.setAttribute("rpc.grpc.status_code", code);
  else if (code !== 0) span.setAttribute("rpc.connect_rpc.error_code", name);
  // The code's name only: an error's message may quote what the client sent.
  if (serverFaults.has(code)) span.setStatus({ code: SpanStatusCode.ERROR, message: name });
  span.end();
}

import { context, diag, DiagLogLevel, type Tracer } from "@opentelemetry/api";
import type { Logger } from "pino";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base";

/** A tracer for the app (AppOptions.tracer), and how to flush what it has not exported yet. */
export interface Tracing {
  tracer: Tracer;
  /** Exports the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

let contextManagerSet = false;

/**
 * A tracer whose finished spans go to `processor`. The provider is not registered globally, so
 * each app (and each test) can have its own; the context manager is, once per process, because
 * the active span must follow every `await` from the RPC span to its store and analyzer spans.
 */
export function createTracing(processor: SpanProcessor): Tracing {
  if (!contextManagerSet) {
    contextManagerSet = context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  }
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the name given here.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ "service.name": "sessionflow" }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  return { tracer: provider.getTracer("sessionflow"), shutdown: () => provider.shutdown() };
}

/**
 * Tracing over OTLP/HTTP (protobuf), configured the standard way: OTEL_EXPORTER_OTLP_ENDPOINT
 * or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, with the exporter's and the batch processor's other
 * OTEL_* variables (headers, timeout, sampler, batch sizes). See config.ts for when it is on.
 */
export function createOtlpTracing(logger: Logger): Tracing {
  // The SDK reports failed exports (a collector down or refusing) through its diagnostic logger,
  // silent unless one is set: warnings and errors go to the log, one line per failed batch.
  const report = (level: "warn" | "error") => (message: string, ...args: unknown[]) => {
    logger[level]({ component: "opentelemetry", detail: detailOf(message, args[0]) }, "tracing problem");
  };
  const quiet = () => {};
  diag.setLogger({ error: report("error"), warn: report("warn"), info: quiet, debug: quiet, verbose: quiet }, DiagLogLevel.WARN);
  return createTracing(new BatchSpanProcessor(new OTLPTraceExporter()));
}

/** One short line: the SDK's error handler passes an exception serialized as JSON, stack and all. */
function detailOf(message: string, arg: unknown): string {
  if (arg instanceof Error) return `${message} ${arg.message}`.slice(0, 300);
  try {
    const parsed: unknown = JSON.parse(message);
    if (parsed && typeof parsed === "object" && "message" in parsed) return String(parsed.message).slice(0, 300);
  } catch {
    // not JSON: the message itself
  }
  return message.slice(0, 300);
}

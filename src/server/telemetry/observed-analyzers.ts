import { context, SpanKind, SpanStatusCode, trace, type Tracer } from "@opentelemetry/api";
import type { Analyzer } from "../../domain/analyzers.js";
import type { Metrics } from "./metrics.js";

/**
 * Each analyzer, timed by name and result, and, within a traced RPC, run as a child span. The
 * domain ends an analyzer that outlives its timeout by aborting its signal and moving on; the
 * abort is what ends its span and measurement then, as "timeout".
 */
export function observeAnalyzers(analyzers: readonly Analyzer[], { metrics, tracer }: { metrics?: Metrics; tracer?: Tracer }): Analyzer[] {
  if (!metrics && !tracer) return [...analyzers];
  return analyzers.map((analyzer) => ({
    name: analyzer.name,
    async analyze(input, signal) {
      const started = performance.now();
      const span = tracer && trace.getSpan(context.active()) && tracer.startSpan(`analyzer ${analyzer.name}`, { kind: SpanKind.INTERNAL, attributes: { "sessionflow.analyzer": analyzer.name } });
      let settled = false;
      const settle = (result: "ok" | "error" | "timeout") => {
        if (settled) return;
        settled = true;
        signal.removeEventListener("abort", onAbort);
        metrics?.analyzerFinished(analyzer.name, result, (performance.now() - started) / 1000);
        if (result !== "ok") span?.setStatus({ code: SpanStatusCode.ERROR, message: result });
        span?.end();
      };
      const onAbort = () => settle("timeout");
      signal.addEventListener("abort", onAbort);
      try {
        const finding = await analyzer.analyze(input, signal);
        settle("ok");
        return finding;
      } catch (e) {
        settle("error");
        throw e;
      }
    },
  }));
}

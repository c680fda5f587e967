import type { DescMethod, MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";

export interface Outcome {
  /** 0 when the call succeeded (for a stream: its first message arrived). */
  code: Code | 0;
  reason: string | undefined;
  fields: string[];
  error: ConnectError | undefined;
  /** What the client saw, as text: the message, error message and every error detail's bytes. */
  visible: string;
}

/**
 * Calls any unary or server-streaming method through a generated client. A stream is read up
 * to its first message and then cancelled, so a live feed never holds a test up.
 */
export async function callMethod(transport: Transport, method: DescMethod, request: MessageInitShape<DescMethod["input"]>, timeoutMs = 3_000): Promise<Outcome> {
  const client = createClient(method.parent, transport) as unknown as Record<string, (req: unknown, opts: unknown) => unknown>;
  const call = client[method.localName]!;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    let answer: unknown;
    if (method.methodKind === "server_streaming") {
      const it = (call(request, { signal: abort.signal }) as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      answer = (await it.next()).value;
      abort.abort();
    } else {
      answer = await call(request, { signal: abort.signal });
    }
    return { code: 0, reason: undefined, fields: [], error: undefined, visible: JSON.stringify(answer, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v)) };
  } catch (e) {
    const error = ConnectError.from(e);
    const details = error.details.map((d) => ("value" in d && d.value instanceof Uint8Array ? Buffer.from(d.value).toString("latin1") : JSON.stringify(d)));
    return {
      code: error.code,
      reason: error.findDetails(ErrorInfoSchema)[0]?.reason,
      fields: error.findDetails(BadRequestSchema).flatMap((b) => b.fieldViolations.map((v) => v.field)),
      error,
      visible: [error.rawMessage, ...details, [...error.metadata].join(" ")].join("\n"),
    };
  } finally {
    clearTimeout(timer);
  }
}

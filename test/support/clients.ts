import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { BillingService } from "../../gen/sessionflow/v1/billing_service_pb.js";
import { SessionService } from "../../gen/sessionflow/v1/session_service_pb.js";
import { SubmissionService } from "../../gen/sessionflow/v1/submission_service_pb.js";

export type Protocol = "connect-json-h1" | "connect-binary-h1" | "grpc-h2" | "grpc-web-h1" | "native-grpc";

/** The gRPC protocols suites run over: connect-node's gRPC on the main port, and the native @grpc/grpc-js port. */
export const grpcProtocols = ["grpc-h2", "native-grpc"] as const satisfies readonly Protocol[];

/** Where a protocol is served: "native-grpc" on the native port, every other on the main port. */
export function urlFor(protocol: Protocol, server: { baseUrl: string; grpcUrl: string }): string {
  return protocol === "native-grpc" ? server.grpcUrl : server.baseUrl;
}

export function bearer(key: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${key}`);
    return next(req);
  };
}

export function transportFor(protocol: Protocol, baseUrl: string, key?: string): Transport {
  const interceptors = key ? [bearer(key)] : [];
  switch (protocol) {
    case "connect-json-h1":
      return createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false, interceptors });
    case "connect-binary-h1":
      return createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: true, interceptors });
    case "grpc-h2":
    case "native-grpc":
      return createGrpcTransport({ baseUrl, interceptors });
    case "grpc-web-h1":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors });
  }
}

export interface Clients {
  submissions: Client<typeof SubmissionService>;
  sessions: Client<typeof SessionService>;
  billing: Client<typeof BillingService>;
}

export function clientsFor(protocol: Protocol, baseUrl: string, key?: string): Clients {
  const transport = transportFor(protocol, baseUrl, key);
  return {
    submissions: createClient(SubmissionService, transport),
    sessions: createClient(SessionService, transport),
    billing: createClient(BillingService, transport),
  };
}

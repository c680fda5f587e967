import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";

/**
 * A client built the way a team in another language would: from the .proto files alone,
 * loaded at run time with @grpc/proto-loader, speaking native gRPC through @grpc/grpc-js.
 */
const protoDir = fileURLToPath(new URL("../../proto", import.meta.url));

const definition = protoLoader.loadSync(
  [
    "sessionflow/v1/submission_service.proto",
    "sessionflow/v1/session_service.proto",
    "sessionflow/v1/billing_service.proto",
    "sessionflow/v1/acknowledgement_service.proto",
    "sessionflow/v1/outcome_service.proto",
    "sessionflow/v1/event_service.proto",
  ],
  { includeDirs: [protoDir], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true },
);
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  sessionflow: { v1: Record<string, grpc.ServiceClientConstructor> };
};

export type Plain = Record<string, any>;

export interface GrpcJsClient {
  call(service: string, method: string, request: Plain): Promise<{ response: Plain; headers: grpc.Metadata }>;
  /** A server-streaming call; the returned stream is async-iterable and cancellable. */
  stream(service: string, method: string, request: Plain): grpc.ClientReadableStream<Plain>;
  close(): void;
}

export function createGrpcJsClient(port: number, key: string): GrpcJsClient {
  const clients = new Map<string, grpc.Client>();
  const clientFor = (service: string) => {
    let client = clients.get(service);
    if (!client) {
      const Ctor = loaded.sessionflow.v1[service];
      if (!Ctor) throw new Error(`no service ${service}`);
      client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      clients.set(service, client);
    }
    return client;
  };
  return {
    call(service, method, request) {
      const client = clientFor(service) as unknown as Record<string, Function>;
      const metadata = new grpc.Metadata();
      metadata.set("authorization", `Bearer ${key}`);
      return new Promise((resolve, reject) => {
        let headers = new grpc.Metadata();
        const call = client[method]!.call(client, request, metadata, (err: grpc.ServiceError | null, response: Plain) =>
          err ? reject(err) : resolve({ response, headers }),
        );
        call.on("metadata", (m: grpc.Metadata) => (headers = m));
      });
    },
    stream(service, method, request) {
      const client = clientFor(service) as unknown as Record<string, Function>;
      const metadata = new grpc.Metadata();
      metadata.set("authorization", `Bearer ${key}`);
      return client[method]!.call(client, request, metadata) as grpc.ClientReadableStream<Plain>;
    },
    close() {
      for (const c of clients.values()) c.close();
    },
  };
}

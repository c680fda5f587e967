import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { create, fromBinary, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ServerReflection,
  ServerReflectionRequestSchema,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import {
  ServerReflection as ServerReflectionV1alpha,
  ServerReflectionRequestSchema as V1alphaRequestSchema,
} from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { transportFor } from "../support/clients.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const run = promisify(execFile);
const buf = new URL("../../node_modules/.bin/buf", import.meta.url).pathname;

type Ask = (req: Omit<ServerReflectionRequest, "$typeName">["messageRequest"]) => Promise<ServerReflectionResponse["messageResponse"]>;

/** One request over a reflection stream of the given version, with no credentials. */
function asker(service: DescService, baseUrl: string): Ask {
  const schema = service === ServerReflection ? ServerReflectionRequestSchema : V1alphaRequestSchema;
  const client = createClient(service as typeof ServerReflection, transportFor("grpc-h2", baseUrl));
  return async (messageRequest) => {
    async function* one() {
      yield create(schema, { messageRequest }) as unknown as ServerReflectionRequest;
    }
    for await (const res of client.serverReflectionInfo(one())) return res.messageResponse;
    throw new Error("no reflection answer");
  };
}

const fileNames = (r: ServerReflectionResponse["messageResponse"]) =>
  r.case === "fileDescriptorResponse" ? r.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name) : [];

describe("server reflection", () => {
  let server: TestServer;
  let h2cUrl: string;
  beforeAll(async () => {
    server = await startTestServer();
    h2cUrl = `http://127.0.0.1:${(await server.app.h2c.listen(0, "127.0.0.1")).port}`;
  });
  afterAll(() => server.close());

  describe.each([
    ["v1", ServerReflection],
    ["v1alpha", ServerReflectionV1alpha],
  ] as const)("%s", (_version, service) => {
    it.each(["main", "h2c"])("lists both reflection versions with the API on the %s port", async (port) => {
      const ask = asker(service, port === "main" ? server.baseUrl : h2cUrl);
      const listed = await ask({ case: "listServices", value: "" });
      expect(listed.case).toBe("listServicesResponse");
      const names = listed.case === "listServicesResponse" ? listed.value.service.map((s) => s.name) : [];
      expect(names).toEqual(expect.arrayContaining([
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.health.v1.Health",
        "sessionflow.v1.SubmissionService",
      ]));
    });

    it.each([
      ["google.rpc.ErrorInfo", "google/rpc/error_details.proto"],
      ["google.rpc.BadRequest", "google/rpc/error_details.proto"],
      ["google.rpc.BadRequest.FieldViolation", "google/rpc/error_details.proto"],
      ["google.rpc.RetryInfo", "google/rpc/error_details.proto"],
      ["sessionflow.v1.ErrorReason", "sessionflow/v1/error.proto"],
      ["sessionflow.v1.SubmissionService.Submit", "sessionflow/v1/submission_service.proto"],
    ])("resolves the symbol %s to %s, with its imports", async (symbol, file) => {
      const ask = asker(service, server.baseUrl);
      const names = fileNames(await ask({ case: "fileContainingSymbol", value: symbol }));
      expect(names[0]).toBe(file);
      if (file === "google/rpc/error_details.proto") expect(names).toContain("google/protobuf/duration.proto");
    });

    it("serves the error detail file by name and says when a symbol does not exist", async () => {
      const ask = asker(service, server.baseUrl);
      expect(fileNames(await ask({ case: "fileByFilename", value: "google/rpc/error_details.proto" }))[0]).toBe("google/rpc/error_details.proto");
      expect(await ask({ case: "fileContainingSymbol", value: "nope.Nothing" })).toMatchObject({ case: "errorResponse", value: { errorCode: 5 } });
    });
  });

  it("gives the whole file set, every file after its imports", () => {
    const set = server.app.reflection.fileDescriptorSet();
    const names = set.file.map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(["google/rpc/error_details.proto", "sessionflow/v1/error.proto", "grpc/reflection/v1alpha/reflection.proto"]));
    set.file.forEach((f, i) => f.dependency.forEach((d) => expect(names.indexOf(d)).toBeLessThan(i)));
  });

  it.each(["main", "h2c"])("lets buf curl speaking only v1alpha list every method on the %s port", async (port) => {
    const url = port === "main" ? server.baseUrl : h2cUrl;
    const { stdout } = await run(buf, ["curl", "--http2-prior-knowledge", "--reflect-protocol", "grpc-v1alpha", "--list-methods", url]);
    expect(stdout).toContain("sessionflow.v1.SubmissionService/Submit");
    expect(stdout).toContain("sessionflow.v1.EventService/WatchEvents");
    expect(stdout).toContain("grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo");
  });
});

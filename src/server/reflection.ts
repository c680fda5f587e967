import { create, fromBinary, toBinary, type DescFile, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorSet } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { file_google_rpc_error_details } from "../../gen/google/rpc/error_details_pb.js";
import {
  ServerReflection,
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import {
  ServerReflection as ServerReflectionV1alpha,
  ServerReflectionRequestSchema as V1alphaRequestSchema,
  ServerReflectionResponseSchema as V1alphaResponseSchema,
} from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { file_sessionflow_v1_error } from "../../gen/sessionflow/v1/error_pb.js";

/** Both reflection versions: older grpcurl, Postman and grpc-go speak only v1alpha. */
export const reflectionServices: readonly DescService[] = [ServerReflection, ServerReflectionV1alpha];

/**
 * Files no service imports but clients need to read errors: google.rpc.ErrorInfo, BadRequest
 * and RetryInfo travel in error details, and ErrorInfo.reason names a sessionflow.v1.ErrorReason.
 */
export const errorDetailFiles: readonly DescFile[] = [file_google_rpc_error_details, file_sessionflow_v1_error];

/** The reflection answers, apart from any transport, so every port serves the same ones. */
export interface Reflection {
  /** What list_services returns: the given services and both reflection services. */
  readonly serviceNames: readonly string[];
  /** Every served file with its imports, dependencies first. */
  fileDescriptorSet(): FileDescriptorSet;
  /** Answers one grpc.reflection.v1 request. */
  answer(req: ServerReflectionRequest): ServerReflectionResponse;
  /**
   * Answers one serialized request of either version with a serialized response of the same
   * version: v1alpha's messages are v1's, field for field, so the bytes are the same.
   */
  answerBytes(req: Uint8Array): Uint8Array;
}

type Nested = { typeName: string; nestedMessages: readonly Nested[]; nestedEnums: readonly { typeName: string }[] };

/**
 * grpc.reflection answered from the descriptors compiled into gen/, so grpcurl and buf curl work
 * without proto files. Every file answer carries its transitive imports.
 */
export function createReflection(services: readonly DescService[]): Reflection {
  const served = [...services, ...reflectionServices.filter((r) => !services.includes(r))];
  const files = new Map<string, DescFile>();
  const symbols = new Map<string, DescFile>();
  const addNested = (messages: readonly Nested[], enums: readonly { typeName: string }[], file: DescFile) => {
    for (const e of enums) symbols.set(e.typeName, file);
    for (const m of messages) {
      symbols.set(m.typeName, file);
      addNested(m.nestedMessages, m.nestedEnums, file);
    }
  };
  const addFile = (file: DescFile) => {
    if (files.has(file.proto.name)) return;
    file.dependencies.forEach(addFile);
    files.set(file.proto.name, file);
    for (const d of [...file.messages, ...file.enums, ...file.services]) symbols.set(d.typeName, file);
    for (const s of file.services) for (const m of s.methods) symbols.set(`${s.typeName}.${m.name}`, file);
    addNested(file.messages, file.enums, file);
  };
  served.forEach((s) => addFile(s.file));
  errorDetailFiles.forEach(addFile);
  const serviceNames = served.map((s) => s.typeName);

  function withImports(file: DescFile): Uint8Array[] {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (f: DescFile) => {
      if (seen.has(f.name)) return;
      seen.add(f.name);
      out.push(toBinary(FileDescriptorProtoSchema, f.proto));
      f.dependencies.forEach(visit);
    };
    visit(file);
    return out;
  }

  function responseTo(req: ServerReflectionRequest): MessageInitShape<typeof ServerReflectionResponseSchema>["messageResponse"] {
    const notFound = (what: string) => ({
      case: "errorResponse" as const,
      value: { errorCode: 5, errorMessage: `${what} not found` },
    });
    const r = req.messageRequest;
    switch (r.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: serviceNames.map((name) => ({ name })) } };
      case "fileByFilename": {
        const file = files.get(r.value);
        return file ? { case: "fileDescriptorResponse", value: { fileDescriptorProto: withImports(file) } } : notFound("file");
      }
      case "fileContainingSymbol": {
        const file = symbols.get(r.value.replace(/^\./, ""));
        return file ? { case: "fileDescriptorResponse", value: { fileDescriptorProto: withImports(file) } } : notFound("symbol");
      }
      case "allExtensionNumbersOfType":
        // None of the served protos declare extensions.
        return symbols.has(r.value)
          ? { case: "allExtensionNumbersResponse", value: { baseTypeName: r.value, extensionNumber: [] } }
          : notFound("type");
      case "fileContainingExtension":
        return notFound("extension");
      default:
        return { case: "errorResponse", value: { errorCode: 3, errorMessage: "empty reflection request" } };
    }
  }

  const answer = (req: ServerReflectionRequest) =>
    create(ServerReflectionResponseSchema, { validHost: req.host, originalRequest: req, messageResponse: responseTo(req) });

  return {
    serviceNames,
    fileDescriptorSet: () => create(FileDescriptorSetSchema, { file: [...files.values()].map((f) => f.proto) }),
    answer,
    answerBytes: (req) => toBinary(ServerReflectionResponseSchema, answer(fromBinary(ServerReflectionRequestSchema, req))),
  };
}

export function createReflectionService(reflection: Reflection): ServiceImpl<typeof ServerReflection> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) yield reflection.answer(req);
    },
  };
}

export function createReflectionV1alphaService(reflection: Reflection): ServiceImpl<typeof ServerReflectionV1alpha> {
  return {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        yield fromBinary(V1alphaResponseSchema, reflection.answerBytes(toBinary(V1alphaRequestSchema, req)));
      }
    },
  };
}

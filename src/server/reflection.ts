import { create, toBinary, type DescFile, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  ServerReflection,
  ServerReflectionResponseSchema,
  type ServerReflectionRequest,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";

/**
 * grpc.reflection.v1, answered from the descriptors compiled into gen/, so grpcurl and
 * buf curl work without proto files. Every file answer carries its transitive imports.
 */
export function createReflectionService(services: readonly DescService[]): ServiceImpl<typeof ServerReflection> {
  const files = new Map<string, DescFile>();
  const symbols = new Map<string, DescFile>();
  const addFile = (file: DescFile) => {
    if (files.has(file.name + ".proto")) return;
    files.set(file.name + ".proto", file);
    for (const d of [...file.messages, ...file.enums, ...file.services]) symbols.set(d.typeName, file);
    for (const s of file.services) for (const m of s.methods) symbols.set(`${s.typeName}.${m.name}`, file);
    for (const m of file.messages) addNested(m.nestedMessages, m.nestedEnums, file);
    file.dependencies.forEach(addFile);
  };
  const addNested = (
    messages: readonly { typeName: string; nestedMessages: readonly any[]; nestedEnums: readonly { typeName: string }[] }[],
    enums: readonly { typeName: string }[],
    file: DescFile,
  ) => {
    for (const e of enums) symbols.set(e.typeName, file);
    for (const m of messages) {
      symbols.set(m.typeName, file);
      addNested(m.nestedMessages, m.nestedEnums, file);
    }
  };
  for (const s of services) addFile(s.file);
  const serviceNames = services.map((s) => s.typeName);

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

  function answer(req: ServerReflectionRequest): MessageInitShape<typeof ServerReflectionResponseSchema>["messageResponse"] {
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

  return {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        yield create(ServerReflectionResponseSchema, {
          validHost: req.host,
          originalRequest: req,
          messageResponse: answer(req),
        });
      }
    },
  };
}

import { fromBinary, toBinary, type DescMessage, type DescMethod, type DescService, type MessageShape } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import { encodeShared } from "../../service/shared-encoding.js";

/**
 * What a request that protobuf-es could not decode becomes. grpc-js would answer a throwing
 * deserializer with INTERNAL and a fixed text, before any interceptor could log or reason it;
 * this way the adapter refuses it like the main port does (INVALID_ARGUMENT, INVALID_REQUEST).
 */
export class Undecodable {
  constructor(readonly cause: unknown) {}
}

/** The grpc-js definition of one service, its (de)serializers taken from the protobuf-es descriptors. */
export function serviceDefinitionOf(service: DescService): ServiceDefinition {
  return Object.fromEntries(service.methods.map((method) => [method.localName, methodDefinitionOf(method)]));
}

function methodDefinitionOf(method: DescMethod): MethodDefinition<MessageShape<DescMessage> | Undecodable, MessageShape<DescMessage>> {
  const { input, output } = method;
  return {
    path: `/${method.parent.typeName}/${method.name}`,
    originalName: method.localName,
    requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
    responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
    requestSerialize: (message) => Buffer.from(toBinary(input, message as MessageShape<DescMessage>)),
    requestDeserialize(bytes) {
      try {
        return fromBinary(input, bytes);
      } catch (e) {
        return new Undecodable(e);
      }
    },
    // Responses repeat the parts of a session that did not change; see encodeShared.
    responseSerialize: (message) => bufferOf(encodeShared(output, message)),
    responseDeserialize: (bytes) => fromBinary(output, bytes),
  };
}

/** A Buffer over the same memory: grpc-js copies it into its frame anyway. */
function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

import { ScalarType, toBinary, type DescField, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";
import { GrowingBytes } from "./growing-bytes.js";
import { frozenUntil, ListRuns } from "./list-runs.js";
import { SessionSchema } from "../../gen/sessionflow/v1/session_pb.js";

/**
 * toBinary, with what responses share encoded once. Mapping shares frozen messages between
 * responses, frozen deeply (frozen-memo.ts), so they cannot change: a frozen message's bytes
 * are remembered, keyed weakly on the message, and copied into every later response that holds it;
 * for a list that only grows, the bytes of its frozen leading items are remembered as one run
 * (list-runs.ts). Encoding a response then costs its change, not the session's history. The bytes
 * are toBinary's own: fields in number order, each written as protobuf-es writes it. A message
 * type with a field of a kind not written here (maps, oneofs, bytes, optional scalars, packed
 * lists, Struct, wrappers) is encoded whole by toBinary, so the bytes never depend on what is covered.
 */
export function encodeShared<Desc extends DescMessage>(desc: Desc, message: MessageShape<Desc>): Uint8Array {
  const writer = topWriter;
  try {
    writerOf(desc)(writer, message as unknown as Fields, true);
  } catch (e) {
    topWriter = new BinaryWriter(); // the failed encoding's bytes stay behind in the old one
    throw e;
  }
  const bytes = writer.finish();
  if (bytes.byteLength > keptBytes) topWriter = new BinaryWriter();
  return bytes;
}

/**
 * The writer of every response, reused: finish() copies the bytes out and keeps the buffer, so
 * a response is not built by growing a buffer from 128 bytes each time. After a response larger
 * than keptBytes the writer is replaced, so one large listing does not hold its memory.
 */
let topWriter = new BinaryWriter();
const keptBytes = 64 * 1024;

type Fields = Record<string, unknown> & { $unknown?: { no: number; wireType: WireType; data: Uint8Array }[] };

/**
 * Writes a message's fields. With `remember`, frozen parts are taken from, or added to, what is
 * remembered; without, everything is written out: that is how what is remembered is encoded, so
 * nothing inside it is remembered a second time.
 */
type Write = (writer: BinaryWriter, message: Fields, remember: boolean) => void;

const writers = new WeakMap<DescMessage, Write>();
const encodings = new WeakMap<object, Uint8Array>();

function writerOf(desc: DescMessage): Write {
  let write = writers.get(desc);
  if (write === undefined) {
    // Registered before its fields are compiled, so a message type that holds itself resolves to it.
    let compiled: Write | undefined;
    writers.set(desc, (write = (writer, message, remember) => compiled!(writer, message, remember)));
    compiled = compile(desc);
    writers.set(desc, compiled);
  }
  return write;
}

function compile(desc: DescMessage): Write {
  const fields = [...desc.fields].sort((a, b) => a.number - b.number).map(fieldWriter);
  if (desc.oneofs.length > 0 || fields.some((f) => f === undefined)) return (writer, message) => void writer.raw(toBinary(desc, message as never));
  const writes = fields as Write[];
  return (writer, message, remember) => {
    for (const write of writes) write(writer, message, remember);
    // Fields this build does not know, kept from a decoded message; toBinary writes them last too.
    for (const { no, wireType, data } of message.$unknown ?? []) writer.tag(no, wireType).raw(data);
  };
}

/** The writer of a message field's value: the tag, then the message length-delimited. */
function childWriter(no: number, desc: DescMessage): Write {
  let write: Write | undefined; // resolved at first use: the type may still be compiling
  return (writer, child, remember) => {
    writer.tag(no, WireType.LengthDelimited);
    if (remember && Object.isFrozen(child)) {
      let bytes = encodings.get(child);
      if (bytes === undefined) encodings.set(child, (bytes = encode(desc, child)));
      writer.bytes(bytes);
      return;
    }
    writer.fork();
    (write ??= writerOf(desc))(writer, child, remember);
    writer.join();
  };
}

/**
 * The lists that grow with a session's versions: the frozen leading items of these are
 * remembered as one run. Any other list (a page of sessions, say) is written item by item, as a
 * run kept for it could hold a whole response for as long as its first item lives.
 */
const growingLists: ReadonlySet<DescField> = new Set([SessionSchema.field.submissions!, SessionSchema.field.analyses!, SessionSchema.field.checks!]);

/** The writer of a list of messages: for a growing list, its remembered run, then the rest. */
function listWriter(field: DescField, desc: DescMessage): Write {
  const { number: no, localName: name } = field;
  const writeChild = childWriter(no, desc);
  const runs = growingLists.has(field) ? new ListRuns<Fields, GrowingBytes>() : undefined;
  return (writer, message, remember) => {
    const items = message[name] as Fields[];
    let from = 0;
    if (remember && runs) {
      const hit = runs.find(items);
      from = hit?.length ?? 0;
      const frozen = frozenUntil(items, from);
      let run = hit?.result;
      if (frozen > from) {
        const tail = new BinaryWriter();
        for (let i = from; i < frozen; i++) writeChild(tail, items[i]!, false);
        run = run ? run.append(tail.finish()) : GrowingBytes.of(tail.finish());
        runs.remember(items, frozen, run);
        from = frozen;
      }
      if (run !== undefined) writer.raw(run.bytes);
    }
    for (let i = from; i < items.length; i++) writeChild(writer, items[i]!, remember);
  };
}

/** A frozen message's bytes, in a writer of their own: the response's writer is mid-message. */
function encode(desc: DescMessage, message: Fields): Uint8Array {
  const writer = new BinaryWriter();
  writerOf(desc)(writer, message, false);
  return writer.finish();
}

const implicit = 2; // FeatureSet.FieldPresence.IMPLICIT: proto3's fields without `optional`

/** The writer of one field, as protobuf-es's to-binary.js writes it; undefined for a kind not covered. */
function fieldWriter(field: DescField): Write | undefined {
  const { localName: name, number: no } = field;
  if (field.oneof) return undefined;
  switch (field.fieldKind) {
    case "message": {
      if (field.delimitedEncoding || !plainMessage(field)) return undefined;
      const writeChild = childWriter(no, field.message);
      return (writer, message, remember) => {
        const child = message[name];
        if (child !== undefined && Object.prototype.hasOwnProperty.call(message, name)) writeChild(writer, child as Fields, remember);
      };
    }
    case "list":
      if (field.listKind === "message") return field.delimitedEncoding || !plainMessage(field) ? undefined : listWriter(field, field.message);
      if (field.listKind === "scalar" && field.scalar === ScalarType.STRING) {
        return (writer, message) => {
          for (const value of message[name] as string[]) writer.tag(no, WireType.LengthDelimited).string(value);
        };
      }
      return undefined;
    case "enum": {
      if (field.presence !== implicit) return undefined;
      const zero = field.enum.values[0]!.number;
      return (writer, message) => {
        const value = message[name] as number;
        if (value !== zero) writer.tag(no, WireType.Varint).int32(value);
      };
    }
    case "scalar":
      return field.presence === implicit ? scalarWriter(field.scalar, no, name) : undefined;
    case "map":
      return undefined;
  }
}

/**
 * Whether a field holds the message itself, as localMessageMapper in protobuf-es has it: Struct
 * fields hold a JSON object, and singular wrapper fields hold the unwrapped value.
 */
function plainMessage(field: DescField & { message: DescMessage }): boolean {
  return field.message.typeName !== "google.protobuf.Struct" && !(field.fieldKind === "message" && isWrapperDesc(field.message));
}

/** A scalar with implicit presence: written unless it holds its zero value. */
function scalarWriter(scalar: ScalarType, no: number, name: string): Write | undefined {
  switch (scalar) {
    case ScalarType.STRING:
      return (writer, message) => {
        const value = message[name] as string;
        if (value !== "") writer.tag(no, WireType.LengthDelimited).string(value);
      };
    case ScalarType.BOOL:
      return (writer, message) => {
        const value = message[name] as boolean;
        if (value !== false) writer.tag(no, WireType.Varint).bool(value);
      };
    case ScalarType.DOUBLE:
      return (writer, message) => {
        const value = message[name] as number;
        // Object.is tells -0, which is written, from 0.
        if (!Object.is(value, 0)) writer.tag(no, WireType.Bit64).double(value);
      };
    case ScalarType.INT32:
      return (writer, message) => {
        const value = message[name] as number;
        if (value !== 0) writer.tag(no, WireType.Varint).int32(value);
      };
    case ScalarType.INT64:
      return (writer, message) => {
        const value = message[name] as bigint | string;
        // Loose, as protobuf-es compares: 0n, and "0" for a field kept as a string.
        if (value != 0n) writer.tag(no, WireType.Varint).int64(value);
      };
    default:
      return undefined;
  }
}

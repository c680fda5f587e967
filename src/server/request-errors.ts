import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { DomainError, type FieldViolation } from "../domain/errors.js";
import { connectErrorOf, reasonError } from "../service/connect-errors.js";

/**
 * The error a client gets when Connect could not turn its request into a message: a broken
 * envelope, an undecodable body, a missing or extra message, bad compression or a bad timeout
 * header. Connect raises these with varying codes (INTERNAL for broken binary, UNIMPLEMENTED for
 * a missing message) and with messages that may quote the input (a JSON value, a header), so
 * each becomes INVALID_ARGUMENT or RESOURCE_EXHAUSTED with the catalog reason and fixed text.
 */
export function requestErrorOf(error: unknown, input: DescMessage, maxBytes?: number): ConnectError {
  const e = ConnectError.from(error);
  if (e.findDetails(ErrorInfoSchema).length > 0) return e;
  switch (e.code) {
    case Code.ResourceExhausted:
      return connectErrorOf(
        new DomainError("REQUEST_TOO_LARGE", "the request is larger than the server accepts", [], maxBytes !== undefined ? { max_bytes: String(maxBytes) } : {}),
      );
    // The client gave up or its deadline passed while the request was read: nothing was wrong with it.
    case Code.Canceled:
      return new ConnectError("the request was cancelled", Code.Canceled);
    case Code.DeadlineExceeded:
      return new ConnectError("the request's deadline passed", Code.DeadlineExceeded);
    default: {
      const violation = jsonViolationOf(e.rawMessage, input);
      if (violation) {
        return connectErrorOf(new DomainError("INVALID_REQUEST", `the request could not be read as one ${input.typeName}: ${violation.field} ${violation.description}`, [violation]));
      }
      return reasonError("INVALID_REQUEST", `the request could not be read as one ${input.typeName}: check its framing, encoding and fields`);
    }
  }
}

const unknownKey = /^cannot decode message ([\w.]+) from JSON: key "([A-Za-z0-9_]{1,64})" is unknown$/;
const badField = /^cannot decode field ([\w.]+)\.([a-z_][a-z0-9_]*) from JSON:/;
const badEnum = /^cannot decode enum ([\w.]+) from JSON:/;

/**
 * The field a JSON decoding error is about, from protobuf-es's error text: a misspelled key (a
 * "sessionID" typo must not pass as a new session) or a value a field cannot take, such as an
 * unknown enum name. Only names from the schema are sent back: the key the client sent, like
 * any submitted value, is never repeated, so a key that resembles no field is not named.
 */
function jsonViolationOf(message: string, input: DescMessage): FieldViolation | undefined {
  const unknown = unknownKey.exec(message);
  const meant = unknown ? fieldLike(input, unknown[1]!, unknown[2]!) : undefined;
  if (meant) {
    return {
      field: pathIn(input, unknown![1]!, meant.name),
      description: `is misspelled: JSON names are case-sensitive, write ${meant.jsonName} or ${meant.name}`,
    };
  }
  const bad = badField.exec(message);
  if (bad) return { field: pathIn(input, bad[1]!, bad[2]!), description: "has a value this field cannot take" };
  // An unknown enum name names only the enum; the field is known when one field has that type.
  const enumName = badEnum.exec(message)?.[1];
  const fields = enumName ? enumFieldsOf(input, enumName) : [];
  if (fields.length === 1) return { field: fields[0]!, description: `must be a value of ${enumName}` };
  return undefined;
}

/** The field of message `typeName` that `key` differs from only in case and underscores. */
function fieldLike(input: DescMessage, typeName: string, key: string): DescField | undefined {
  const plain = (name: string) => name.replaceAll("_", "").toLowerCase();
  let desc: DescMessage | undefined = input.typeName === typeName ? input : undefined;
  walk(input, (f) => {
    const child = messageOf(f);
    if (!desc && child?.typeName === typeName) desc = child;
  });
  return desc?.fields.find((f) => plain(f.name) === plain(key));
}

/** Paths of the fields of type `enumName` in `input` and the messages inside it. */
function enumFieldsOf(input: DescMessage, enumName: string): string[] {
  const out: string[] = [];
  walk(input, (f, prefix) => {
    const e = f.fieldKind === "enum" ? f.enum : f.fieldKind === "list" && f.listKind === "enum" ? f.enum : undefined;
    if (e?.typeName === enumName) out.push(prefix + f.name);
  });
  return out;
}

/** Visits every field of `input` and of the messages inside it (google.* types apart), each message once. */
function walk(input: DescMessage, visit: (f: DescField, prefix: string) => void): void {
  const queue: [DescMessage, string][] = [[input, ""]];
  const seen = new Set<string>();
  for (let next = queue.shift(); next; next = queue.shift()) {
    const [desc, prefix] = next;
    if (seen.has(desc.typeName)) continue;
    seen.add(desc.typeName);
    for (const f of desc.fields) {
      visit(f, prefix);
      const child = messageOf(f);
      if (child && !child.typeName.startsWith("google.")) queue.push([child, `${prefix}${f.name}.`]);
    }
  }
}

function messageOf(f: DescField): DescMessage | undefined {
  if (f.fieldKind === "message") return f.message;
  if (f.fieldKind === "list" && f.listKind === "message") return f.message;
  if (f.fieldKind === "map" && f.mapKind === "message") return f.message;
  return undefined;
}

/** "a.b.name": the path from `input` to a field `name` of the message `typeName`, by the first route found. */
function pathIn(input: DescMessage, typeName: string, name: string): string {
  if (input.typeName === typeName) return name;
  let found: string | undefined;
  walk(input, (f, prefix) => {
    if (found === undefined && messageOf(f)?.typeName === typeName) found = `${prefix}${f.name}.${name}`;
  });
  return found ?? name;
}

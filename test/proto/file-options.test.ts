import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const buf = new URL("../../node_modules/.bin/buf", import.meta.url).pathname;
const root = new URL("../..", import.meta.url).pathname;

/** PascalCase of a file's base name: "session_service.proto" -> "SessionService". */
const pascal = (path: string) =>
  path.replace(/^.*\//, "").replace(/\.proto$/, "").split("_").map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("");

/**
 * Every .proto under proto/, including ones added later, carries the options other languages'
 * generators need, the same for every file of a package, so Go, Java, C#, PHP, Ruby,
 * Objective-C and Swift clients generate without extra flags.
 */
describe("code-generation options", () => {
  let files: FileDescriptorProto[];
  beforeAll(async () => {
    const image = await run(buf, ["build", "proto", "--exclude-imports", "-o", "-#format=binpb"], { cwd: root, encoding: "buffer", maxBuffer: 64 << 20 });
    files = fromBinary(FileDescriptorSetSchema, new Uint8Array(image.stdout)).file;
  });

  it("finds the proto files", () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it("sets every option in every file", () => {
    const missing = files.flatMap((f) => {
      const o = f.options;
      const wanted = {
        go_package: o?.goPackage,
        java_package: o?.javaPackage,
        java_outer_classname: o?.javaOuterClassname,
        csharp_namespace: o?.csharpNamespace,
        php_namespace: o?.phpNamespace,
        ruby_package: o?.rubyPackage,
        objc_class_prefix: o?.objcClassPrefix,
        swift_prefix: o?.swiftPrefix,
      };
      const absent = Object.entries(wanted).filter(([, v]) => !v).map(([k]) => k);
      if (o?.javaMultipleFiles !== true) absent.push("java_multiple_files = true");
      return absent.map((name) => `${f.name}: ${name}`);
    });
    expect(missing).toEqual([]);
  });

  it("names each file's Java outer class after the file, so no class clashes with a message", () => {
    const wrong = files.filter((f) => f.options?.javaOuterClassname !== `${pascal(f.name)}Proto`).map((f) => f.name);
    expect(wrong).toEqual([]);
  });

  it("gives every file of a package the same Go, Java, C#, PHP, Ruby, Objective-C and Swift names", () => {
    const byPackage = new Map<string, Set<string>>();
    for (const f of files) {
      const o = f.options!;
      const key = [o.goPackage, o.javaPackage, o.csharpNamespace, o.phpNamespace, o.rubyPackage, o.objcClassPrefix, o.swiftPrefix].join(" | ");
      byPackage.set(f.package, (byPackage.get(f.package) ?? new Set()).add(key));
    }
    for (const [pkg, keys] of byPackage) expect([pkg, [...keys]]).toEqual([pkg, [[...keys][0]]]);
  });

  it("uses a Go package path with an explicit package name, and Objective-C prefixes of three capitals or more", () => {
    for (const f of files) {
      expect(f.options?.goPackage, f.name).toMatch(/^[a-z0-9.\-/]+;[a-z0-9]+$/);
      expect(f.options?.objcClassPrefix, f.name).toMatch(/^[A-Z]{3,}$/);
    }
  });
});

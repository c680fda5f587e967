import { Writable } from "node:stream";
import { createLogger } from "../../src/logger.js";

/** A logger at `level` whose lines are kept, one string each, for a test to read. */
export function captureLogs(level = "info") {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  return { lines, logger: createLogger(level, stream) };
}

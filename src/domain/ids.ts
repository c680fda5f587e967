import { randomFillSync } from "node:crypto";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a canonical (lowercase or uppercase, hyphenated) UUID of any version. */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

export interface IdGenerator {
  /** A new UUIDv7 string (RFC 9562). */
  next(): string;
}

/**
 * UUIDv7 with a monotonic 12-bit counter in rand_a, so ids issued within one millisecond
 * still sort in issue order: listing sessions by id is listing them by creation.
 */
export function createUuidV7Generator(now: () => number = Date.now): IdGenerator {
  let lastMs = -1;
  let counter = 0;
  return {
    next() {
      let ms = now();
      if (ms <= lastMs) {
        counter++;
        if (counter > 0xfff) {
          // Counter exhausted within this millisecond: borrow the next one.
          lastMs++;
          counter = 0;
        }
        ms = lastMs;
      } else {
        lastMs = ms;
        counter = random(2).readUInt16BE(0) & 0x3ff; // leave headroom for increments
      }
      const bytes = Buffer.from(random(16));
      bytes.writeUIntBE(ms, 0, 6);
      bytes[6] = 0x70 | (counter >> 8);
      bytes[7] = counter & 0xff;
      bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
      const hex = bytes.toString("hex");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  };
}

/**
 * Random bytes from a pool refilled 4 KiB at a time: one call into the system's generator per
 * 200-odd ids instead of two per id. The bytes returned are overwritten at the next refill, so
 * callers copy them. (randomUUID buffers the same way inside Node.)
 */
const pool = Buffer.alloc(4096);
let used = pool.length;

function random(n: number): Buffer {
  if (used + n > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += n;
  return pool.subarray(used - n, used);
}

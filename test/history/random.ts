import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

/**
 * Seeded choices. Every actor and subscriber forks its own stream when it starts, so what one
 * of them decides does not depend on how the others happened to interleave: the same seed makes
 * the same decisions, even though timing (and so the history) differs from run to run.
 */
export interface Random {
  /** A whole number from `min` to `max`, both included. */
  int(min: number, max: number): number;
  /** A number in [0, 1). */
  float(): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Items chosen by weight: `[[item, weight], …]`. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T;
  /** A random (version 4) UUID, as request ids must be. */
  uuid(): string;
  hex(length: number): string;
  /** An independent stream, seeded from this one. */
  fork(): Random;
}

export function createRandom(seed: number): Random {
  const rng = xoroshiro128plus(seed | 0);
  const int = (min: number, max: number) => uniformInt(rng, min, max);
  const hex = (length: number) => Array.from({ length }, () => int(0, 15).toString(16)).join("");
  const random: Random = {
    int,
    float: () => int(0, 2 ** 30 - 1) / 2 ** 30,
    chance: (p) => random.float() < p,
    pick(items) {
      if (items.length === 0) throw new Error("pick from an empty list");
      return items[int(0, items.length - 1)]!;
    },
    weighted(choices) {
      const total = choices.reduce((sum, [, w]) => sum + w, 0);
      let roll = random.float() * total;
      for (const [item, weight] of choices) {
        if ((roll -= weight) < 0) return item;
      }
      return choices.at(-1)![0];
    },
    uuid() {
      const h = hex(32);
      const variant = ((int(0, 3) | 8) >>> 0).toString(16);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
    },
    hex,
    fork: () => createRandom(int(-(2 ** 31), 2 ** 31 - 1)),
  };
  return random;
}

import type { Expectation, History, Pattern } from "./history.js";
import type { Random } from "./random.js";
import type { Answer, CallSpec, Rpc } from "./rpc.js";

/**
 * How an actor sends one logical request. Requests with a request id are sometimes duplicated,
 * to test idempotency across replicas:
 * - "concurrent": the same request to two different instances at once;
 * - "again": once more to another instance after the first answered;
 * - "cut": the client aborts after a few ms (the server may or may not have acted) and sends it
 *   again, to random instances, until one attempt answers;
 * - "late": a request answered earlier in the journey, sent again much later.
 * Every copy is recorded; the answer the actor goes on with is the first OK one.
 */
export interface Sender {
  send<T>(spec: CallSpec<T>, pattern?: Pattern): Promise<Answer<T>>;
  /** Two different requests at once on two instances: the concurrent Submits to one expired id. */
  race<A, B>(a: CallSpec<A>, b: CallSpec<B>): Promise<[Answer<A>, Answer<B>]>;
  /** Sends one earlier answered request again, if the journey has any. */
  replayLate(): Promise<void>;
  /** Forgets the journey's requests (a new journey starts). */
  reset(): void;
}

/**
 * Answers a client retries with the same request: CONCURRENT_MODIFICATION (ABORTED, "safe to
 * retry"), and INTERNAL, which a lost store answer (an injected fault) produces: the request may
 * have taken effect, and the retry must finish the job. The checks still judge every answer.
 */
const transientRetries = 3;
const isTransient = (a: { ok: boolean; reason?: string; code?: string }) => !a.ok && (a.reason === "CONCURRENT_MODIFICATION" || a.code === "Internal");
const maxCutAttempts = 5;

export function createSender(actor: string, random: Random, rpc: Rpc, history: History): Sender {
  let answered: CallSpec<unknown>[] = [];

  const meta = (pattern: Pattern, group: number, cutAfterMs?: number) => ({ actor, pattern, group, ...(cutAfterMs !== undefined ? { cutAfterMs } : {}) });

  /** The answer to go on with: an OK one (the original rather than a replay), else the first. */
  function preferred<T>(answers: Answer<T>[]): Answer<T> {
    const oks = answers.filter((a) => a.ok);
    const original = oks.find((a) => a.op.result?.ok && a.op.result.fields.replayed === false);
    return original ?? oks[0] ?? answers.find((a) => !a.ok && !a.cut) ?? answers[0]!;
  }

  async function sendOnce<T>(spec: CallSpec<T>, pattern: Pattern, group: number): Promise<Answer<T>> {
    switch (pattern) {
      case "concurrent": {
        const a = rpc.pick(random);
        const b = rpc.pick(random, a.instance);
        return preferred(await Promise.all([rpc.call(spec, a, meta(pattern, group)), rpc.call(spec, b, meta(pattern, group))]));
      }
      case "again": {
        const first = await rpc.call(spec, rpc.pick(random), meta("once", group));
        const second = await rpc.call(spec, rpc.pick(random, first.op.instance), meta("again", group));
        return preferred([first, second]);
      }
      case "cut": {
        const attempts: Answer<T>[] = [];
        for (let i = 0; i < maxCutAttempts; i++) {
          const last = i === maxCutAttempts - 1;
          const answer = await rpc.call(spec, rpc.pick(random), meta("cut", group, last ? undefined : random.int(0, 4 + 4 * i)));
          attempts.push(answer);
          if (answer.ok || !answer.cut) break;
        }
        return preferred(attempts);
      }
      default:
        return rpc.call(spec, rpc.pick(random), meta(pattern, group));
    }
  }

  return {
    async send(spec, pattern) {
      const chosen: Pattern =
        pattern ??
        (spec.requestId
          ? random.weighted<Pattern>([["once", 58], ["concurrent", 16], ["again", 12], ["cut", 14]])
          : spec.kind === "ExchangeLinkToken"
            ? random.weighted<Pattern>([["once", 80], ["concurrent", 20]])
            : "once");
      const group = history.newGroup();
      let answer = await sendOnce(spec, chosen, group);
      // One more copy at a time (never a burst): a call without a request id, like IssueLink, is not idempotent.
      for (let i = 0; i < transientRetries && isTransient(answer); i++) {
        answer = await rpc.call(spec, rpc.pick(random), meta("again", group));
      }
      if (answer.ok && spec.requestId) answered.push(spec as CallSpec<unknown>);
      return answer;
    },

    async race(a, b) {
      const group = history.newGroup();
      const first = rpc.pick(random);
      const second = rpc.pick(random, first.instance);
      const settle = async <T>(spec: CallSpec<T>, answer: Answer<T>) => {
        for (let i = 0; i < transientRetries && isTransient(answer); i++) answer = await rpc.call(spec, rpc.pick(random), meta("again", group));
        return answer;
      };
      return Promise.all([
        rpc.call(a, first, meta("race", group)).then((x) => settle(a, x)),
        rpc.call(b, second, meta("race", group)).then((x) => settle(b, x)),
      ]);
    },

    async replayLate() {
      if (answered.length === 0) return;
      const spec = random.pick(answered);
      // A replay is never refused, whatever happened since (expiry included); only a client token may have run out.
      const expect: Expectation = { outcome: "ok", ...(spec.expect?.tokenExpiresAt !== undefined ? { tokenExpiresAt: spec.expect.tokenExpiresAt } : {}) };
      await rpc.call({ ...spec, expect }, rpc.pick(random), meta("late", history.newGroup()));
    },

    reset() {
      answered = [];
    },
  };
}

import { parseArgs } from "node:util";
import { defaultOptions, runHistoryCheck, type HistoryOptions } from "./harness.js";
import { formatReport } from "./report.js";
import { storeFactories } from "./stores.js";

/**
 * npm run check:history -- --seed N --seconds S [--instances K] [--store memory|mongo|both] [--actors A]
 *   [--latency-ms L] [--fault-rate P] [--heartbeat-ms H] [--session-watchers W] [--feed-watchers F] [--json FILE]
 * --json writes the report with the whole history (every operation and stream) to FILE.
 * Exits 1 when any check finds a violation, 0 otherwise, 2 on a usage error or a stuck run.
 */
const { values } = parseArgs({
  options: {
    seed: { type: "string" },
    seconds: { type: "string" },
    instances: { type: "string" },
    store: { type: "string" },
    actors: { type: "string" },
    "latency-ms": { type: "string" },
    "fault-rate": { type: "string" },
    "heartbeat-ms": { type: "string" },
    "session-watchers": { type: "string" },
    "feed-watchers": { type: "string" },
    json: { type: "string" },
  },
  strict: true,
});

function int(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be a whole number of at least ${min}`);
    process.exit(2);
  }
  return n;
}

function rate(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(n >= 0 && n < 1)) {
    console.error("--fault-rate must be a number from 0 to below 1");
    process.exit(2);
  }
  return n;
}

const options: HistoryOptions = {
  ...defaultOptions,
  seed: int("seed", values.seed, Math.floor(Math.random() * 2 ** 31), -(2 ** 31)),
  seconds: int("seconds", values.seconds, defaultOptions.seconds, 1),
  instances: int("instances", values.instances, defaultOptions.instances, 1),
  store: values.store ?? defaultOptions.store,
  actors: int("actors", values.actors, defaultOptions.actors, 1),
  latencyMs: int("latency-ms", values["latency-ms"], defaultOptions.latencyMs, 0),
  faultRate: rate(values["fault-rate"], defaultOptions.faultRate),
  heartbeatMs: int("heartbeat-ms", values["heartbeat-ms"], defaultOptions.heartbeatMs, 1),
  sessionWatchers: int("session-watchers", values["session-watchers"], defaultOptions.sessionWatchers, 0),
  feedWatchers: int("feed-watchers", values["feed-watchers"], defaultOptions.feedWatchers, 0),
  log: (line) => console.error(line),
};
// "both" runs every store in turn, with the same seed and length.
const storeNames = options.store === "both" ? Object.keys(storeFactories) : [options.store];
if (!storeNames.every((name) => storeFactories[name])) {
  console.error(`--store must be both or one of: ${Object.keys(storeFactories).join(", ")}`);
  process.exit(2);
}

// Every wait inside is bounded; this is the backstop that guarantees the process ends.
const limitSeconds = (options.seconds + 180) * storeNames.length;
const watchdog = setTimeout(() => {
  console.error(`history check (seed ${options.seed}) did not finish within ${limitSeconds} s; giving up`);
  process.exit(2);
}, limitSeconds * 1000);
watchdog.unref();

let violations = 0;
for (const store of storeNames) {
  const report = await runHistoryCheck({ ...options, store }).catch((e: unknown) => {
    // The checker's own machinery failed: no verdict either way.
    console.error(`history check (seed ${options.seed}) could not run: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(2);
  });
  console.log(formatReport(report));
  violations += report.violations.length;
  if (values.json) {
    const { writeFile } = await import("node:fs/promises");
    const file = storeNames.length > 1 ? values.json.replace(/(\.json)?$/, `.${store}.json`) : values.json;
    await writeFile(file, JSON.stringify({ ...report, options: { ...report.options, log: undefined } }));
  }
}
process.exit(violations > 0 ? 1 : 0);

import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { FastCounter, FastHistogram } from "../../src/server/telemetry/series.js";

const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const observations: [string, number][] = [
  ["sessionflow.v1.SubmissionService/Submit", 0.0004],
  ["sessionflow.v1.SessionService/GetSession", 0.001],
  ["sessionflow.v1.SubmissionService/Submit", 0.0031],
  ["sessionflow.v1.SubmissionService/Submit", 12],
  ["sessionflow.v1.SessionService/GetSession", 0.25],
  ["a \"quoted\\ name\nwith a newline", 0],
];

describe("FastCounter and FastHistogram", () => {
  it("expose exactly what prom-client's Counter and Histogram would, fed the same", async () => {
    const theirs = [new Registry()];
    const ours = [new Registry()];
    const histogram = new Histogram({ name: "t_seconds", help: "Time.", labelNames: ["procedure"], buckets, registers: theirs });
    const counter = new Counter({ name: "t_total", help: "Calls, by \"code\".", labelNames: ["procedure", "code"], registers: theirs });
    const plain = new Histogram({ name: "t_lag_seconds", help: "Lag.", buckets: [0.001, 1], registers: theirs });
    const plainCount = new Counter({ name: "t_downs_total", help: "Downs.", registers: theirs });
    const fastHistogram = new FastHistogram("t_seconds", "Time.", ["procedure"], buckets, ours);
    const fastCounter = new FastCounter("t_total", "Calls, by \"code\".", ["procedure", "code"], ours);
    const fastPlain = new FastHistogram("t_lag_seconds", "Lag.", [], [0.001, 1], ours);
    const fastPlainCount = new FastCounter("t_downs_total", "Downs.", [], ours);
    expect(await ours[0]!.metrics()).toBe(await theirs[0]!.metrics());

    for (const [procedure, seconds] of observations) {
      histogram.labels(procedure).observe(seconds);
      fastHistogram.child(procedure).observe(seconds);
      counter.labels(procedure, seconds > 1 ? "deadline_exceeded" : "ok").inc();
      fastCounter.child(procedure, seconds > 1 ? "deadline_exceeded" : "ok").inc();
      plain.observe(seconds);
      fastPlain.child().observe(seconds);
    }
    plainCount.inc();
    fastPlainCount.child().inc();
    expect(await ours[0]!.metrics()).toBe(await theirs[0]!.metrics());

    theirs[0]!.resetMetrics();
    ours[0]!.resetMetrics();
    expect(await ours[0]!.metrics()).toBe(await theirs[0]!.metrics());
  });

  it("refuses what prom-client refuses: a value that is not a number, the wrong number of labels", () => {
    const histogram = new FastHistogram("h_seconds", "H.", ["procedure"], buckets, [new Registry()]);
    expect(() => histogram.child("p").observe(Number.NaN)).toThrow(TypeError);
    expect(() => histogram.child("p", "q")).toThrow();
  });
});

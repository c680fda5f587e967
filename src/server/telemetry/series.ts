import type { Registry } from "prom-client";

/**
 * Counters and histograms for the series every call feeds, each observation a few writes to
 * numbers its caller holds. prom-client's own label children hash and validate their labels on
 * every inc() and observe(), about 0.2 us each, several times per call; these do that once per
 * label set. prom-client still writes the exposition: each registers in its registry and answers
 * get() with the very values a prom-client Counter or Histogram would, so /metrics reads the same
 * (test/server/series.test.ts compares them).
 */
type Labels = Record<string, string>;

export interface CounterChild {
  inc(): void;
}

export interface HistogramChild {
  observe(value: number): void;
}

interface MetricValue {
  value: number;
  labels: Labels | { le: number | string };
  metricName?: string;
}

abstract class Series<Child> {
  readonly aggregator = "sum";
  readonly #children = new Map<string, Child>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    registers: readonly Registry[],
  ) {
    for (const registry of registers) registry.registerMetric(this as never);
  }

  /** The series with these label values, in labelNames' order; hold on to it. */
  child(...values: string[]): Child {
    const key = values.join("\u0000");
    let child = this.#children.get(key);
    if (!child) {
      if (values.length !== this.labelNames.length) throw new Error(`${this.name} takes ${this.labelNames.length} label values`);
      const labels: Labels = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]!));
      this.#children.set(key, (child = this.make(labels)));
    }
    return child;
  }

  /** prom-client's Registry asks this at every scrape. */
  async get() {
    const values: MetricValue[] = [];
    for (const child of this.#children.values()) this.export(child, values);
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** Forgets every series, as prom-client's reset() does. */
  reset(): void {
    this.#children.clear();
  }

  abstract readonly type: "counter" | "histogram";
  protected abstract make(labels: Labels): Child;
  protected abstract export(child: Child, into: MetricValue[]): void;
}

class CounterSeries implements CounterChild {
  value = 0;
  constructor(readonly labels: Labels) {}
  inc(): void {
    this.value++;
  }
}

export class FastCounter extends Series<CounterChild> {
  readonly type = "counter";

  constructor(name: string, help: string, labelNames: readonly string[], registers: readonly Registry[]) {
    super(name, help, labelNames, registers);
    this.reset();
  }

  /** As in prom-client, a counter without labels reports zero from the start, and again after a reset. */
  override reset(): void {
    super.reset();
    if (this.labelNames.length === 0) this.child();
  }

  protected make(labels: Labels): CounterChild {
    return new CounterSeries(labels);
  }

  protected export(child: CounterChild, into: MetricValue[]): void {
    const { value, labels } = child as CounterSeries;
    into.push({ value, labels });
  }
}

class HistogramSeries implements HistogramChild {
  /** Observations per bucket, not cumulative; the last for those above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    // The first bound the value does not exceed, as prom-client finds it.
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

export class FastHistogram extends Series<HistogramChild> {
  readonly type = "histogram";
  readonly #bounds: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[], registers: readonly Registry[]) {
    super(name, help, labelNames, registers);
    this.#bounds = [...buckets];
    // As in prom-client, a histogram without labels reports zeros from the start (not after a reset).
    if (labelNames.length === 0) this.child();
  }

  protected make(labels: Labels): HistogramChild {
    return new HistogramSeries(labels, this.#bounds);
  }

  protected export(child: HistogramChild, into: MetricValue[]): void {
    const { labels, bounds, counts, sum, count } = child as HistogramSeries;
    const bucket = `${this.name}_bucket`;
    // As prom-client lists them: the buckets, cumulative, le first; then +Inf, _sum and _count.
    let cumulative = 0;
    bounds.forEach((le, i) => {
      cumulative += counts[i]!;
      into.push({ value: cumulative, labels: { le, ...labels }, metricName: bucket });
    });
    into.push({ value: count, labels: { le: "+Inf", ...labels }, metricName: bucket });
    into.push({ value: sum, labels: { ...labels }, metricName: `${this.name}_sum` });
    into.push({ value: count, labels: { ...labels }, metricName: `${this.name}_count` });
  }
}

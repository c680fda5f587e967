/**
 * A strict reader of Prometheus' text exposition format (version 0.0.4), for tests. The parser
 * on npm (parse-prometheus-text-format 1.1.1) was tried and loses the labels, sums and counts of
 * labelled histograms as prom-client writes them, so this one is written out against the format's rules:
 * every sample belongs to a family declared by # TYPE, label values are quoted and escaped,
 * values are Go floats. Anything else throws, so a malformed exposition fails the test.
 */
export interface Sample {
  /** The full sample name: a histogram's samples end in _bucket, _sum or _count. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  samples: Sample[];
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const suffixes: Record<Family["type"], string[]> = {
  counter: [""],
  gauge: [""],
  untyped: [""],
  histogram: ["_bucket", "_sum", "_count"],
  summary: ["", "_sum", "_count"],
};

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const help = new Map<string, string>();
  let current: Family | undefined;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const meta = /^# (HELP|TYPE) ([^ ]+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!metricName.test(name)) throw new Error(`bad metric name in: ${line}`);
      if (kind === "HELP") help.set(name, rest);
      else {
        if (families.has(name)) throw new Error(`family declared twice: ${name}`);
        if (!(rest in suffixes)) throw new Error(`bad type in: ${line}`);
        current = { name, help: help.get(name) ?? "", type: rest as Family["type"], samples: [] };
        families.set(name, current);
      }
      continue;
    }
    if (line.startsWith("#")) continue;
    const sample = parseSample(line);
    const family = current;
    if (!family || !suffixes[family.type].some((s) => sample.name === family.name + s)) {
      throw new Error(`sample outside its family: ${line}`);
    }
    family.samples.push(sample);
  }
  return families;
}

function parseSample(line: string): Sample {
  const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{)?/.exec(line);
  if (!head) throw new Error(`bad sample: ${line}`);
  const name = head[1]!;
  const labels: Record<string, string> = {};
  let at = name.length;
  if (head[2]) {
    at++;
    const label = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"\s*(,|\})/y;
    for (;;) {
      if (line[at] === "}") {
        at++;
        break;
      }
      label.lastIndex = at;
      const m = label.exec(line);
      if (!m) throw new Error(`bad labels: ${line}`);
      if (m[1]! in labels) throw new Error(`label repeated: ${line}`);
      labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
      at = label.lastIndex;
      if (m[3] === "}") break;
    }
  }
  const tail = /^ +([^ ]+)( +-?\d+)?$/.exec(line.slice(at));
  if (!tail) throw new Error(`bad value: ${line}`);
  // Go's float syntax, which Prometheus reads: Inf and NaN in any case (prom-client writes "Nan").
  const raw = tail[1]!.toLowerCase();
  const special: Record<string, number> = { "+inf": Infinity, inf: Infinity, "-inf": -Infinity, nan: NaN };
  const value = raw in special ? special[raw]! : Number(raw);
  if (Number.isNaN(value) && raw !== "nan") throw new Error(`bad value: ${line}`);
  return { name, labels, value };
}

/** GETs /metrics and parses it; throws unless it answers 200 with the text format. */
export async function scrape(baseUrl: string, headers: Record<string, string> = {}): Promise<Map<string, Family>> {
  const res = await fetch(`${baseUrl}/metrics`, { headers });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  if (!res.headers.get("content-type")?.startsWith("text/plain; version=0.0.4")) throw new Error("not the Prometheus text format");
  return parseExposition(await res.text());
}

/**
 * The value of the family's sample whose labels include `labels`: a counter's or gauge's value,
 * a histogram's count of observations (0 when there is no such sample).
 */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  const wanted = family?.type === "histogram" ? `${name}_count` : name;
  const sample = family?.samples.find((s) => s.name === wanted && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return sample?.value ?? 0;
}

/** Every label set of the family's samples named `name` (its own name, or a histogram's _count). */
export function labelSets(families: Map<string, Family>, name: string): Record<string, string>[] {
  const family = families.get(name);
  const wanted = family?.type === "histogram" ? `${name}_count` : name;
  return (family?.samples ?? []).filter((s) => s.name === wanted).map((s) => s.labels);
}

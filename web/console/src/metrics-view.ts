import { timestampFromDate, timestampMs } from "@bufbuild/protobuf/wkt";
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from "chart.js";
import annotationPlugin from "chartjs-plugin-annotation";
import { MetricsInterval, type MetricRate, type SessionMetrics } from "../../../gen/sessionflow/v1/metrics_pb.js";
import { h } from "../../shared/dom.js";
import { api } from "./api.js";
import { checkName, percent, table } from "./format.js";
import type { View } from "./main.js";

Chart.register(LineController, LineElement, PointElement, LinearScale, BarController, BarElement, CategoryScale, Legend, Tooltip, annotationPlugin);

const ranges: Record<string, { label: string; ms: number; interval: MetricsInterval }> = {
  "24h": { label: "24 hours, hourly", ms: 24 * 3600_000, interval: MetricsInterval.HOUR },
  "7d": { label: "7 days, daily", ms: 7 * 86400_000, interval: MetricsInterval.DAY },
  "30d": { label: "30 days, daily", ms: 30 * 86400_000, interval: MetricsInterval.DAY },
};

const rates: { key: "approval" | "rejection" | "abandonment" | "forcedRetry"; label: string; color: string }[] = [
  { key: "approval", label: "Approval", color: "#1e7b34" },
  { key: "rejection", label: "Rejection", color: "#b42318" },
  { key: "abandonment", label: "Abandonment", color: "#7a5af8" },
  { key: "forcedRetry", label: "Forced retry", color: "#b54708" },
];

const pct = (r: MetricRate | undefined) => (r ? Math.round(r.rate * 1000) / 10 : 0);
const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");

/**
 * The metrics dashboard (GetMetrics): the rates over time with a marker at each thresholds
 * revision, the rates by market, the check-level failure distribution, and the counts behind
 * every rate as a table. Charts are Chart.js canvases, each with a text alternative.
 */
export async function renderMetrics({ root, signal, params }: View) {
  const range = ranges[params.get("range") ?? ""] ? params.get("range")! : "7d";
  const { ms, interval } = ranges[range]!;
  const endParam = params.get("end");
  const end = endParam ? new Date(`${endParam}T00:00:00Z`) : new Date(Math.ceil(Date.now() / 3600_000) * 3600_000);
  const start = new Date(end.getTime() - ms);

  const form = h(
    "form",
    { class: "filters", "aria-label": "Metrics range" },
    h("div", {}, h("label", { for: "range" }, "Range"), h("select", { id: "range", name: "range" }, ...Object.entries(ranges).map(([k, r]) => h("option", { value: k, selected: k === range }, r.label)))),
    h("div", {}, h("label", { for: "end" }, "Ending (UTC date)"), h("input", { id: "end", name: "end", type: "date", value: endParam ?? "" })),
    h("div", {}, h("label", { for: "m-workflow" }, "Workflow"), h("input", { id: "m-workflow", name: "workflow", value: params.get("workflow") ?? "", size: "14" })),
    h("div", {}, h("label", { for: "m-market" }, "Market"), h("input", { id: "m-market", name: "market", value: params.get("market") ?? "", size: "4", maxlength: "2" })),
    h("div", {}, h("button", { type: "submit" }, "Show")),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (typeof v === "string" && v.trim()) q.set(k, k === "market" ? v.trim().toUpperCase() : v.trim());
    location.hash = `#/metrics?${q}`;
  });
  root.append(h("h1", { tabindex: "-1" }, "Metrics"), h("section", { class: "panel" }, form));

  const [metrics, { revisions }] = await Promise.all([
    api.metrics.getMetrics(
      { startTime: timestampFromDate(start), endTime: timestampFromDate(end), interval, workflow: params.get("workflow") ?? "", market: params.get("market") ?? "" },
      { signal },
    ),
    api.configuration.listThresholdRevisions({ pageSize: 100 }, { signal }),
  ]);
  const total = metrics.total;
  root.append(
    h("p", { class: "muted" }, `${stamp(start.getTime())} to ${stamp(end.getTime())} UTC · ${total?.sessions ?? 0n} sessions`),
  );

  // Rates over time, one point per bucket, a vertical marker at each thresholds revision in range.
  const series = metrics.series.map((b) => ({ x: b.startTime ? timestampMs(b.startTime) : 0, m: b.metrics }));
  const markers: Record<string, { type: "line"; xMin: number; xMax: number; [option: string]: unknown }> = {};
  // Oldest first, so the markers and their list read left to right.
  for (const r of [...revisions].reverse()) {
    const at = r.createTime ? timestampMs(r.createTime) : 0;
    if (at < start.getTime() || at > end.getTime()) continue;
    markers[`v${r.version}`] = {
      type: "line",
      xMin: at,
      xMax: at,
      borderColor: "#1b2130",
      borderDash: [4, 4],
      borderWidth: 1.5,
      label: { display: true, content: `thresholds v${r.version}`, position: "start", backgroundColor: "#1b2130", color: "#fff", font: { size: 11 } },
    };
  }
  const overTime = canvas(
    "rates-chart",
    `Line chart of approval, rejection, abandonment and forced retry rates per ${interval === MetricsInterval.HOUR ? "hour" : "day"}, with ${Object.keys(markers).length} thresholds revision markers.`,
  );
  root.append(chartPanel("Rates over time", overTime.wrap, Object.keys(markers).length ? `Dashed lines: thresholds revisions (${Object.keys(markers).join(", ")}).` : "No thresholds revision in this range."));
  new Chart(overTime.canvas, {
    type: "line",
    data: {
      datasets: rates.map((r) => ({
        label: `${r.label} rate`,
        data: series.map((p) => ({ x: p.x, y: pct(p.m?.[r.key]) })),
        borderColor: r.color,
        backgroundColor: r.color,
        pointRadius: 2,
        tension: 0,
      })),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      parsing: false,
      scales: {
        x: { type: "linear", min: start.getTime(), max: end.getTime(), ticks: { maxTicksLimit: 8, callback: (v) => stamp(Number(v)).slice(5, interval === MetricsInterval.HOUR ? 16 : 10) } },
        y: { min: 0, max: 100, title: { display: true, text: "% of sessions" } },
      },
      plugins: { annotation: { annotations: markers }, tooltip: { callbacks: { title: (items) => stamp(items[0]?.parsed.x ?? 0) } } },
    },
  });

  // Rates by market.
  const markets = metrics.markets;
  const byMarket = canvas("markets-chart", `Bar chart of the four rates in each of ${markets.length} markets.`);
  root.append(chartPanel("Rates by market", byMarket.wrap, markets.length ? "" : "No session in this range."));
  new Chart(byMarket.canvas, {
    type: "bar",
    data: {
      labels: markets.map((m) => m.market || "none"),
      datasets: rates.map((r) => ({ label: `${r.label} rate`, data: markets.map((m) => pct(m.metrics?.[r.key])), backgroundColor: r.color })),
    },
    options: { animation: false, maintainAspectRatio: false, scales: { y: { min: 0, max: 100, title: { display: true, text: "% of sessions" } } } },
  });

  // The check-level failure distribution.
  const checks = total?.checks ?? [];
  const byCheck = canvas("checks-chart", "Bar chart of each check type's share of failed check results.");
  root.append(chartPanel("Check-level failure distribution", byCheck.wrap, ""));
  new Chart(byCheck.canvas, {
    type: "bar",
    data: {
      labels: checks.map((c) => checkName(c.type)),
      datasets: [
        { label: "Share of failures", data: checks.map((c) => pct(c.failureShare)), backgroundColor: "#b42318" },
        { label: "Retry rate", data: checks.map((c) => pct(c.retryRate)), backgroundColor: "#b54708" },
      ],
    },
    options: { animation: false, maintainAspectRatio: false, scales: { y: { min: 0, max: 100, title: { display: true, text: "%" } } } },
  });

  root.append(h("section", { class: "panel" }, h("h2", {}, "The counts behind each rate"), totals(total), checkTable(total)));
}

function canvas(id: string, description: string) {
  const c = h("canvas", { id, role: "img", "aria-label": description, "data-testid": id });
  return { canvas: c, wrap: h("div", { class: "chart" }, c) };
}

function chartPanel(title: string, chart: HTMLElement, note: string) {
  return h("section", { class: "panel", "aria-label": title }, h("h2", {}, title), chart, note ? h("p", { class: "muted" }, note) : "");
}

function totals(m: SessionMetrics | undefined) {
  return table(
    "Rates in the whole range",
    ["Rate", "Value", "Sessions counted", "Out of"],
    rates.map((r) => [r.label, percent(m?.[r.key]?.rate ?? 0), String(m?.[r.key]?.numerator ?? 0n), String(m?.[r.key]?.denominator ?? 0n)]),
  );
}

function checkTable(m: SessionMetrics | undefined) {
  return table(
    "Checks",
    ["Check", "Results", "Passed", "Retry requested", "Failed", "Share of failures"],
    (m?.checks ?? []).map((c) => [checkName(c.type), String(c.results), String(c.passed), String(c.retryRequested), String(c.failed), percent(c.failureShare?.rate ?? 0)]),
  );
}

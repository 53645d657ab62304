/**
 * The status page: one HTML document with its script and styles inline, uPlot served beside it
 * from ccp itself. Everything it loads comes from ccp (a Content-Security-Policy says so), and
 * every value from the server is written with textContent, never parsed as HTML.
 */

import { usd } from "../../core/money.ts";

/** The page; it and its data live at /ui (absolute paths, whatever prefix it was opened under). */
export const UI_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ccp status</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="ui/uplot.css">
<style>
  :root { color-scheme: light dark; --muted: #888; --bad: #d33; --warn: #c80; --ok: #2a2; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; padding: 12px; max-width: 1200px; }
  h1 { font-size: 18px; margin: 0 0 8px; } h2 { font-size: 15px; margin: 18px 0 6px; }
  .muted { color: var(--muted); } .bad { color: var(--bad); } .warn { color: var(--warn); } .ok { color: var(--ok); }
  table { border-collapse: collapse; width: 100%; } td, th { padding: 3px 6px; text-align: left; border-bottom: 1px solid #8884; }
  th { font-weight: 600; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
  .scroll { overflow-x: auto; } .cards { display: flex; flex-wrap: wrap; gap: 12px; }
  .card { border: 1px solid #8886; border-radius: 6px; padding: 8px; flex: 1 1 320px; min-width: 0; }
  .chart { width: 100%; min-height: 180px; }
  /* Who asked, once a team's named clients are among the latest requests. */
  #latest.no-clients .client { display: none; }
  @media (max-width: 600px) { .hide-narrow { display: none; } body { padding: 6px; } }
</style>
</head>
<body>
<h1>ccp <span id="version" class="muted"></span> · <span id="inflight">0</span> in flight · <span id="live" class="muted">connecting\u2026</span></h1>
<p id="context" class="warn" hidden></p>
<h2>Routes</h2>
<div class="scroll"><table id="routes"><thead><tr><th>route</th><th>target</th><th>health</th><th class="hide-narrow">keys ready / cooling / blocked</th></tr></thead><tbody></tbody></table></div>
<h2>Latest requests</h2>
<div class="scroll"><table id="latest" class="no-clients"><thead><tr><th>time</th><th class="client">client</th><th>client model</th><th>route</th><th>served by</th><th>status</th><th class="n">in</th><th class="n">out</th><th class="n hide-narrow">cache read</th><th class="n hide-narrow">cache write</th><th class="n">duration</th><th class="n hide-narrow">ttft</th></tr></thead><tbody></tbody></table></div>
<div id="usage">
<div class="cards">
  <div class="card"><h2>Tokens and cost, last 24 h</h2><div id="chart24" class="chart"></div></div>
  <div class="card"><h2>Tokens and cost, last 7 days (UTC)</h2><div id="chart7" class="chart"></div></div>
</div>
<div class="cards">
  <div class="card"><h2>Errors by provider, last 24 h</h2><table id="errors"><thead><tr><th>provider</th><th class="n">requests</th><th class="n">errors</th></tr></thead><tbody></tbody></table></div>
  <div class="card"><h2>Budgets</h2><table id="budgets"><thead><tr><th>budget</th><th class="n">spent</th><th class="n">limit</th></tr></thead><tbody></tbody></table></div>
</div>
</div>
<p id="noledger" class="muted" hidden>The usage ledger is off: no charts.</p>
<script src="ui/uplot.js"></script>
<script>
"use strict";
// Opened as /ui?token=\u2026: the session cookie is set, so the token leaves the address bar and
// the history.
if (location.search) history.replaceState(null, "", location.pathname);
const $ = (id) => document.getElementById(id);
function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}
function fill(id, rows, render) {
  const body = $(id).tBodies[0];
  body.replaceChildren(...rows.map((r) => { const tr = document.createElement("tr"); render(tr, r); return tr; }));
}
const n = (x) => x.toLocaleString("en-US");
// Dollars with a comma every three digits: the very function ccp usage and ccp statusline use.
${usd}
function requestRow(tr, r) {
  cell(tr, new Date(r.at).toLocaleTimeString());
  cell(tr, r.client ?? "", "client");
  cell(tr, r.clientModel ?? "");
  cell(tr, r.route);
  const servedBy = r.provider ? r.provider + "/" + r.model : "none";
  // A spent budget refused it before any target was asked: the target it names did not fail.
  if (r.budget) cell(tr, "none: budget " + r.budget + " spent", "warn");
  // A failover is no error, but the page says which targets did not serve first (warn colour).
  // So are the targets it was not sent to (a key cooling down after a 429, a spent budget).
  // A try sent again with max_tokens fitted into a local server's window is no failure (no colour).
  else cell(tr, servedBy + (r.failed ? " (after " + r.failed + ")" : "") + (r.resent ? " (resent: " + r.resent + ")" : "") + (r.passed ? " · passed: " + r.passed : ""), r.failed || r.passed ? "warn" : "");
  cell(tr, String(r.status) + (r.outcome === "ok" ? "" : " " + r.outcome), r.status >= 400 || r.outcome !== "ok" ? "bad" : "ok").title = r.error ?? "";
  cell(tr, n(r.inputTokens), "n");
  cell(tr, n(r.outputTokens), "n");
  // Most of a Claude Code prompt is read from the cache: \`in\` alone looked like a tiny prompt.
  cell(tr, n(r.cacheReadTokens ?? 0), "n hide-narrow");
  cell(tr, n(r.cacheWriteTokens ?? 0), "n hide-narrow");
  // Both times in seconds: "2.78 s" beside "2779 ms" read as two scales.
  cell(tr, (r.durationMs / 1000).toFixed(2) + " s", "n");
  cell(tr, r.ttftMs === undefined ? "" : (r.ttftMs / 1000).toFixed(2) + " s", "n hide-narrow");
}
let latest = [];
function showLatest() {
  $("latest").classList.toggle("no-clients", !latest.some((r) => r.client));
  fill("latest", latest, requestRow);
}
const charts = {};
// An axis as wide as its widest label: at uPlot's fixed 50 px, a day's tokens (2,000,000) and a
// cheap model's cost ($0.0020) were cut at the canvas's edge.
const measure = document.createElement("canvas").getContext("2d");
function fitAxis(u, values, i) {
  const a = u.axes[i];
  if (!values) return 50;
  measure.font = a.font[0];
  const widest = Math.max(0, ...values.map((v) => measure.measureText(v).width)) / uPlot.pxRatio;
  return Math.ceil(widest + a.gap + (a.ticks.show ? a.ticks.size : 0)) + 2;
}
const pad = (x) => String(x).padStart(2, "0");
// The hourly buckets are UTC hours; uPlot puts its ticks on local hours, which in a half-hour
// zone (India) fell half an hour beside every bar. The ticks are the bars' own starts, as many
// hours apart as uPlot's spacing asks, and name their local time (05:30 there).
function hourTicks(u, axis, min, max, incr) {
  const step = Math.max(1, Math.round(incr / 3600));
  return u.data[0].filter((t) => t >= min && t <= max && Math.round(t / 3600) % step === 0);
}
function drawChart(id, points, hourly) {
  const el = $(id);
  const xs = points.map((p) => p.start / 1000);
  const data = [xs, points.map((p) => p.tokens), points.map((p) => p.costUsd)];
  const width = Math.max(200, el.clientWidth);
  if (charts[id]) { charts[id].setSize({ width, height: 180 }); charts[id].setData(data); return; }
  // A bar is centred on its bucket's start: half a bucket more on each side, or the first and
  // the last (the current hour or day) are drawn cut in half.
  const half = (hourly ? 3600 : 86400) / 2;
  charts[id] = new uPlot({
    width, height: 180,
    series: [{}, { label: "tokens", stroke: "#37c", fill: "#37c3", paths: uPlot.paths.bars({ size: [0.8] }) },
      { label: "cost $", stroke: "#c73", scale: "usd", value: (u, v) => v == null ? "" : usd(v, 4) }],
    axes: [{ space: hourly ? 60 : 50, ...(hourly ? { splits: hourTicks } : {}), values: (u, ticks) => ticks.map((t) => { const d = new Date(t * 1000);
        return hourly ? pad(d.getHours()) + ":" + pad(d.getMinutes()) : (d.getUTCMonth() + 1) + "/" + d.getUTCDate(); }) },
      { size: fitAxis }, { scale: "usd", side: 1, size: fitAxis, grid: { show: false }, values: (u, ticks) => ticks.map((v) => v === 0 ? "$0" : Math.abs(v) >= 100 ? usd(v, 0) : "$" + v.toPrecision(2)) }],
    scales: { x: { time: true, range: (u, min, max) => [min - half, max + half] } },
    // The ledger's days are UTC days: in local time a day's ticks, labels and legend fell beside
    // its bar (in Los Angeles today's bar sat past yesterday's tick).
    ...(hourly ? {} : { tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC") }),
  }, data, el);
}
function render(state) {
  $("version").textContent = state.version;
  $("inflight").textContent = String(state.inflight);
  const rows = state.routes.flatMap((route) => route.targets.map((t, i) => ({ route, t, i })));
  fill("routes", rows, (tr, { route, t, i }) => {
    cell(tr, i === 0 ? route.name : "");
    cell(tr, t.spread ? t.target + " (" + t.spread + ")" : t.target);
    const healthy = t.breaker === "closed" && t.keys.cooling === 0 && t.keys.blocked === 0 && !t.overBudget;
    cell(tr, healthy ? "ok" : t.reasons.join("; ") || t.breaker, healthy ? "ok" : t.breaker === "open" || t.keys.ready === 0 || t.overBudget ? "bad" : "warn");
    cell(tr, t.keys.ready + " / " + t.keys.cooling + " / " + t.keys.blocked, "hide-narrow");
  });
  // A model on too little context answers off-topic without an error: said above the routes.
  const short = state.contextWarnings || [];
  $("context").hidden = short.length === 0;
  $("context").textContent = short.join("; ");
  latest = state.latest;
  showLatest();
  $("usage").hidden = !state.usage;
  $("noledger").hidden = !!state.usage;
  $("noledger").textContent = state.usageUnavailable
    ? "The usage ledger does not answer (" + state.usageUnavailable + "): no charts."
    : "The usage ledger is off: no charts.";
  if (state.usage) {
    drawChart("chart24", state.usage.hourly, true);
    drawChart("chart7", state.usage.daily, false);
    fill("errors", state.usage.byProvider, (tr, p) => { cell(tr, p.provider); cell(tr, n(p.requests), "n"); cell(tr, n(p.errors), p.errors ? "n bad" : "n"); });
    fill("budgets", state.usage.budgets, (tr, b) => {
      const f = (x) => b.unit === "USD" ? usd(x, 2) : n(Math.round(x));
      // A spent target budget moves requests on; a spent client budget refuses that client's.
      const spent = b.client ? " (" + b.client + "'s requests are refused)" : " (requests skip it)";
      cell(tr, b.label + (b.exhausted ? spent : "")); cell(tr, f(b.spent), b.exhausted ? "n bad" : "n"); cell(tr, f(b.limit), "n");
    });
  }
}
// One refresh at a time; one asked for meanwhile (a request just ended) runs right after it, or
// the charts would wait for the next poll.
let pending = false;
let again = false;
async function refresh() {
  if (pending) { again = true; return; }
  pending = true;
  try {
    do {
      again = false;
      try {
        const res = await fetch("ui/state", { credentials: "same-origin" });
        if (res.ok) render(await res.json());
      } catch (err) {
        // A failed fetch or state the page cannot show: the next event or poll tries again.
        console.warn("ccp: the status could not be refreshed:", err);
      }
    } while (again);
  } finally { pending = false; }
}
function connect() {
  const events = new EventSource("ui/events");
  events.addEventListener("open", () => { $("live").textContent = "live"; });
  events.addEventListener("error", () => { $("live").textContent = "reconnecting\u2026"; });
  events.addEventListener("inflight", (e) => { $("inflight").textContent = e.data; });
  events.addEventListener("request", (e) => {
    latest = [JSON.parse(e.data), ...latest].slice(0, 50);
    showLatest();
    setTimeout(refresh, 300);
  });
}
// Live events connect whatever the first state did.
refresh().finally(connect);
setInterval(refresh, 15000);
addEventListener("resize", () => refresh());
</script>
</body>
</html>
`;

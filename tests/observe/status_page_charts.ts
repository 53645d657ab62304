/**
 * The status page's two charts in a real headless Chromium, drawn from a /ui/state the test
 * writes itself (millions of tokens for a few tenths of a cent, as a day of a cheap model with
 * cached prompts is): every label of both axes fits beside the plot, the first and last bars are
 * drawn whole, and both charts' ticks sit on their bars (the ledger's hours and days are UTC's)
 * whatever the browser's time zone, a half-hour one included; times are all in seconds. Run as a
 * step of status_page_test.ts, in its browser: one Chromium for the whole status page.
 */

import assert from "node:assert/strict";
import type { Browser, Page } from "npm:puppeteer-core@24.43.1";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";

const HOUR = 3600_000;
const DAY = 24 * HOUR;
// 2026-12-06T19:16Z: in Los Angeles still the 6th (11:16), in Tokyo already the 7th (04:16).
const NOW = Date.UTC(2026, 11, 6, 19, 16);

/**
 * Buckets of `size` from `count - 1` buckets before now's, spend only in the last one; the one
 * before it went to a local model, whose cost is not known (null).
 */
function points(size: number, count: number) {
  const last = NOW - (NOW % size);
  return Array.from({ length: count }, (_, i) => {
    const spent = i === count - 1;
    const unpriced = i === count - 2;
    return {
      start: last - (count - 1 - i) * size,
      tokens: spent ? 5_432_100 : unpriced ? 120_000 : 0,
      costUsd: spent ? 0.0021354 : unpriced ? null : 0,
      requests: spent ? 32 : unpriced ? 3 : 0,
      errors: 0,
    };
  });
}

const STATE = {
  version: "0.1.0",
  now: NOW,
  inflight: 0,
  routes: [],
  // A passthrough turn of Claude Code: most of its prompt is read from the cache.
  latest: [{
    id: "req_1",
    at: NOW - 5000,
    clientModel: "claude-sonnet-4-5",
    route: "default",
    provider: "anth",
    model: "claude-sonnet-4-5",
    status: 200,
    outcome: "ok",
    stream: true,
    inputTokens: 3,
    outputTokens: 120,
    cacheReadTokens: 45_000,
    cacheWriteTokens: 1_200,
    durationMs: 2100,
    ttftMs: 800,
    attempts: 1,
  }],
  usage: {
    hourly: points(HOUR, 24),
    daily: points(DAY, 7),
    byProvider: [],
    budgets: [],
  },
};

interface Axis {
  size: number;
  gap: number;
  tick: number;
  font: string;
  values: string[];
  splits: number[];
}

interface Drawn {
  data: number[];
  min: number;
  max: number;
  x: Axis;
  axes: { tokens: Axis; usd: Axis };
  widths: { tokens: number[]; usd: number[] };
}

/** What uPlot drew for one chart: its x data and scale, and its axes with their labels' widths. */
function drawn(id: string): string {
  return `(() => {
    const u = charts[${JSON.stringify(id)}];
    const axis = (a) => ({ size: a._size, gap: a.gap, tick: a.ticks.show ? a.ticks.size : 0,
      font: a.font[0], values: a._values, splits: a._splits });
    const ctx = document.createElement("canvas").getContext("2d");
    const widths = (a) => { ctx.font = a.font; return a.values.map((v) => ctx.measureText(v).width); };
    const tokens = axis(u.axes[1]), usd = axis(u.axes[2]);
    return { data: u.data[0], min: u.scales.x.min, max: u.scales.x.max, x: axis(u.axes[0]),
      axes: { tokens, usd }, widths: { tokens: widths(tokens), usd: widths(usd) } };
  })()`;
}

/** The charts' checks on `page`, loaded again with `zone` as its time zone. */
async function charts(page: Page, url: string, zone: string): Promise<void> {
  await page.emulateTimezone(zone);
  await page.goto(`${url}/ui`);
  // The page is loaded again in each zone: its clock reads the zone's own time, not the last one's.
  const clock = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" } as const;
  const shown = await page.evaluate(
    `new Intl.DateTimeFormat("en-US", ${JSON.stringify(clock)}).format(${NOW})`,
  );
  assert.equal(shown, new Intl.DateTimeFormat("en-US", { ...clock, timeZone: zone }).format(NOW));
  await page.waitForFunction('document.querySelectorAll("#chart7 canvas").length === 1');
  // The latest requests show the cached part of a prompt, which the charts count too: `in 3`
  // alone read as a 3-token prompt.
  const row = await page.$$eval(
    "#latest tr",
    (rows) => rows.map((r) => [...r.children].map((c) => c.textContent)),
  );
  const at = (name: string) => row[0]!.indexOf(name);
  assert.equal(row[1]![at("in")], "3");
  assert.equal(row[1]![at("cache read")], "45,000");
  assert.equal(row[1]![at("cache write")], "1,200");
  // One unit for times: the duration was in seconds and the time to first token in ms.
  assert.equal(row[1]![at("duration")], "2.10 s");
  assert.equal(row[1]![at("ttft")], "0.80 s");
  for (const [id, size] of [["chart24", HOUR], ["chart7", DAY]] as const) {
    const d = await page.evaluate(drawn(id)) as Drawn;
    // A label wider than its axis is cut at the canvas's edge (`$0.0020` read `$0.00`).
    for (const side of ["tokens", "usd"] as const) {
      const a = d.axes[side];
      d.widths[side].forEach((w, i) =>
        assert.ok(
          a.tick + a.gap + w <= a.size,
          `${zone} ${id}: the ${side} label ${a.values[i]} is ${w} px wide, its axis ${a.size} px`,
        )
      );
    }
    // Each bar is centred on its bucket's start: the scale reaches half a bucket past both ends.
    const first = d.data[0]!, last = d.data[d.data.length - 1]!;
    const half = size / 2000;
    assert.ok(d.min <= first - half, `${zone} ${id}: the first bar is cut (${d.min} > ${first})`);
    assert.ok(d.max >= last + half, `${zone} ${id}: the last bar is cut (${d.max} < ${last})`);
  }
  // The ledger's days are UTC days: each tick of the 7-day chart sits on a bar and names its day.
  const week = await page.evaluate(drawn("chart7")) as Drawn;
  assert.ok(week.x.splits.length > 0);
  week.x.splits.forEach((t, i) => {
    assert.ok(week.data.includes(t), `${zone}: the tick ${week.x.values[i]} is on no bar`);
    const day = new Date(t * 1000);
    assert.equal(week.x.values[i], `${day.getUTCMonth() + 1}/${day.getUTCDate()}`);
  });
  assert.equal(week.x.values[week.x.values.length - 1], "12/6", zone);
  // The hourly buckets are UTC hours: in a half-hour zone (India) local-hour ticks fell half an
  // hour beside the bars. Each tick sits on a bar and names its local start time.
  const day = await page.evaluate(drawn("chart24")) as Drawn;
  assert.ok(day.x.splits.length >= 4, `${zone}: ${day.x.splits.length} ticks`);
  const local = await page.evaluate(`${JSON.stringify(day.x.splits)}.map((t) => {
    const d = new Date(t * 1000);
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  })`) as string[];
  day.x.splits.forEach((t, i) => {
    assert.ok(day.data.includes(t), `${zone}: the hourly tick ${day.x.values[i]} is on no bar`);
    assert.equal(day.x.values[i], local[i], zone);
  });
}

/** The charts in every zone, in `browser` (the status page test's own), against a fresh ccp. */
export async function chartsInEveryZone(browser: Browser): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_ui_charts_" });
  await Deno.writeTextFile(
    `${dir}/c.yaml`,
    `server: { data_dir: data }
providers:
  anth: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: sk-ant-0123456789 }
routes:
  default: anth/m
`,
  );
  const server = await startServer({
    ctx: testContext(dir),
    flags: { config: "c.yaml", port: 0 },
  });
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.setRequestInterception(true);
    page.on("request", (r) => {
      if (!r.url().endsWith("/ui/state")) return void r.continue();
      return void r.respond({
        status: 200,
        contentType: "application/json",
        body: JSON.stringify(STATE),
      });
    });
    for (const zone of ["UTC", "America/Los_Angeles", "Asia/Tokyo", "Asia/Kolkata"]) {
      await charts(page, server.url, zone);
    }
  } finally {
    await context.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

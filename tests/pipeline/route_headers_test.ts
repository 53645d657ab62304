/**
 * The headers about who served: `x-ccp-passed` stays a value every HTTP stack takes (visible
 * ASCII) and short enough for a proxy in front, whatever the chain's length and its names.
 */

import assert from "node:assert/strict";
import { routeHeaders } from "../../src/pipeline/route_headers.ts";
import type { Recorder } from "../../src/pipeline/recorder.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";

function headersFor(record: Partial<RequestRecord>): Record<string, string> {
  const recorder = { record: { id: "req_1", ...record } } as unknown as Recorder;
  return routeHeaders(recorder);
}

const cooling = (target: string) =>
  `${target} (not sent: 2 keys cooling down after 429, usable again in 3700s, at 2026-12-08 00:30 UTC)`;

Deno.test("x-ccp-passed: a long chain's list is cut to what a proxy takes, and says how many more", () => {
  const passed = Array.from(
    { length: 60 },
    (_, i) => cooling(`gateway-${i}/anthropic/claude-opus-4-5`),
  );
  const value = headersFor({ passed })["x-ccp-passed"]!;
  // nginx holds all of an answer's headers in 4 KB by default: this one leaves room for the rest.
  assert.ok(value.length <= 2048, `${value.length} characters`);
  const [, listed, more] = /^(.*), and (\d+) more \(named in the log line\)$/.exec(value) ?? [];
  assert.ok(listed !== undefined, value);
  const named = listed.split(/, (?=gateway-)/);
  assert.deepEqual(named, passed.slice(0, named.length), "whole entries, first ones first");
  assert.equal(named.length + Number(more), passed.length);
  new Headers({ "x-ccp-passed": value });
  // A short list is left whole.
  assert.equal(
    headersFor({ passed: passed.slice(0, 2) })["x-ccp-passed"],
    passed.slice(0, 2).join(", "),
  );
});

Deno.test("x-ccp-passed: one entry longer than the bound is cut, still a valid header", () => {
  const passed = [cooling(`gw/${"m".repeat(3000)}`), cooling("b/m")];
  const value = headersFor({ passed })["x-ccp-passed"]!;
  assert.ok(value.length <= 2048, `${value.length} characters`);
  assert.match(value, /^gw\/m+\.\.\., and 1 more \(named in the log line\)$/);
  new Headers({ "x-ccp-passed": value });
});

Deno.test("x-ccp-passed: names past Latin-1 and control characters are percent-encoded", () => {
  const passed = ["本地/模型\u2028 (not sent: key cooling down after 429, usable again in 5s)"];
  const value = headersFor({ passed })["x-ccp-passed"]!;
  assert.match(value, /^[\x20-\x7e]+$/);
  assert.equal(decodeURIComponent(value.slice(0, value.indexOf(" ("))), "本地/模型\u2028");
  new Headers({ "x-ccp-passed": value });
});

Deno.test("x-ccp-passed: the list splits at `), ` even when a name or reason holds one", () => {
  const passed = [
    "gw/m (not sent: budget of team (a), b spent)",
    "odd), name/m (refused as too long)",
    cooling("b/m"),
  ];
  const value = headersFor({ passed })["x-ccp-passed"]!;
  const entries = value.split("), ").map((e, i, all) => i < all.length - 1 ? `${e})` : e);
  assert.deepEqual(entries.map(decodeURIComponent), passed);
});

Deno.test("x-ccp-passed: a % in a name or reason is written %25, so each entry decodes back", () => {
  const passed = [
    "gw/m (not sent: budget of client ops-50% spent)",
    "odd%29, name/m (refused as too long)",
    "本地/模型 (not sent: budget of client 100%, team spent)",
  ];
  const value = headersFor({ passed })["x-ccp-passed"]!;
  assert.match(value, /^[\x20-\x7e]+$/);
  const entries = value.split("), ").map((e, i, all) => i < all.length - 1 ? `${e})` : e);
  assert.deepEqual(entries.map(decodeURIComponent), passed);
});

Deno.test("x-ccp-route: a % in a route or alias name is written %25, so the value decodes back", () => {
  for (const route of ["alias:ops-50%", "alias:opus-模%E6", "100%-local", "default"]) {
    const value = headersFor({ route })["x-ccp-route"]!;
    assert.match(value, /^[\x20-\x7e]+$/);
    assert.equal(decodeURIComponent(value), route);
  }
  assert.equal(headersFor({ route: "alias:opus-模" })["x-ccp-route"], "alias:opus-%E6%A8%A1");
});

Deno.test("x-ccp-model: decodes back to the model's name, a % in it or text past ASCII", () => {
  for (const model of ["qwen3%41", "org/模型-50%", "m\ufffdx", "moonshotai/kimi-k2.5"]) {
    const value = headersFor({ provider: "p", model })["x-ccp-model"]!;
    assert.match(value, /^[\x20-\x7e]+$/);
    assert.equal(decodeURIComponent(value), model);
  }
  // An ASCII name is written as it is.
  assert.equal(headersFor({ provider: "p", model: "org/m-1" })["x-ccp-model"], "org/m-1");
});

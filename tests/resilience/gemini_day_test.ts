/**
 * Gemini's per-day quota lifts at midnight Pacific time, whatever seconds its `RetryInfo` says:
 * the key cools until then (a stated moment), for the model the quota names.
 */

import assert from "node:assert/strict";
import { upstreamMessage } from "../../src/core/upstream_message.ts";
import { classify } from "../../src/resilience/classify.ts";
import { describeFailure } from "../../src/resilience/describe.ts";
import { geminiDayReset, nextPacificMidnight } from "../../src/resilience/gemini_day.ts";
import { provider } from "../helpers/config.ts";
import { askRefusingUpstream } from "../helpers/refusing_upstream.ts";
import { threadCpuMs } from "../helpers/cpu_time.ts";

/** Gemini's 429 body, as the API sends it, with `quotaId` naming the quota that was spent. */
function geminiQuota429(quotaId: string): string {
  return JSON.stringify({
    error: {
      code: 429,
      message: "You exceeded your current quota, please check your plan and billing details. " +
        "For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\n" +
        "* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, " +
        "limit: 50, model: gemini-2.5-pro\nPlease retry in 27.275605s.",
      status: "RESOURCE_EXHAUSTED",
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.QuotaFailure",
          violations: [{
            quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests",
            quotaId,
            quotaDimensions: { location: "global", model: "gemini-2.5-pro" },
            quotaValue: "50",
          }],
        },
        { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "27s" },
      ],
    },
  });
}

const judge = (bodyText: string, now: number) =>
  classify({ status: 429, bodyText }, { fallbackOn: [], now, model: "gemini-2.5-pro" });

// 20:20 on the 6th in Los Angeles (PST): midnight there is 08:00 UTC, 3 h 40 min away.
const NOW = Date.parse("2026-12-07T04:20:00Z");

Deno.test("a Gemini day's quota cools the model until midnight Pacific, not for its retryDelay", () => {
  const verdict = judge(geminiQuota429("GenerateRequestsPerDayPerProjectPerModel-FreeTier"), NOW);
  assert.deepEqual(verdict, {
    action: "rotate_key",
    cause: "rate_limit",
    retryAfterMs: 13_200_000,
    scope: "model",
    stated: true,
  });
});

Deno.test("a Gemini minute's quota keeps its retryDelay", () => {
  const verdict = judge(
    geminiQuota429("GenerateRequestsPerMinutePerProjectPerModel-FreeTier"),
    NOW,
  );
  assert.equal(verdict.stated, undefined);
  assert.equal(verdict.retryAfterMs, 27_000);
});

Deno.test("midnight Pacific follows summer time", () => {
  const next = (iso: string) => new Date(nextPacificMidnight(Date.parse(iso))).toISOString();
  assert.equal(next("2026-12-07T07:59:59Z"), "2026-12-07T08:00:00.000Z");
  assert.equal(next("2026-12-07T08:00:00Z"), "2026-12-08T08:00:00.000Z");
  assert.equal(next("2026-07-01T06:59:00Z"), "2026-07-01T07:00:00.000Z");
  // The day the clocks go forward (8 March 2026, 02:00): 01:00 PST, midnight next is PDT.
  assert.equal(next("2026-03-08T09:00:00Z"), "2026-03-09T07:00:00.000Z");
  // The day they go back (1 November 2026, 02:00): 01:30 PDT, midnight next is PST.
  assert.equal(next("2026-11-01T08:30:00Z"), "2026-11-02T08:00:00.000Z");
});

Deno.test("Claude Code is told to come back at midnight Pacific, and not to retry meanwhile", async () => {
  const { res, answer, asked } = await askRefusingUpstream(
    { status: 429, body: geminiQuota429("GenerateRequestsPerDayPerProjectPerModel-FreeTier") },
    (origin) =>
      provider("gem", {
        type: "gemini",
        preset: "gemini",
        baseUrl: `${origin}/v1beta`,
        apiKeys: ["AIzaSyTest-gemini-day-quota-0001"],
        authHeader: "x-goog-api-key",
      }),
    "gem/gemini-2.5-pro",
  );
  assert.equal(res.status, 429);
  // Its 27 s would have Claude Code retry all day: the wait is to midnight Pacific, and one of
  // over 5 minutes comes with no retry, so Claude Code shows it at once.
  const wait = Number(res.headers.get("retry-after"));
  const expected = (nextPacificMidnight(Date.now()) - Date.now()) / 1000;
  assert.ok(Math.abs(wait - expected) < 5, `retry-after ${wait}, expected about ${expected}`);
  assert.equal(res.headers.get("x-should-retry"), wait > 300 ? "false" : null);
  assert.equal(answer.error.code, "model_cooldown");
  assert.match(answer.error.message, /provider "gem" model "gemini-2\.5-pro"/);
  assert.match(answer.error.message, new RegExp(`Retry in ${wait}s(, at .* UTC)?\\.$`));
  assert.equal(asked, 1);
});

Deno.test("a 429 body crafted to backtrack is read in linear time", () => {
  // Many "PerDay" and no closing quote: a pattern that looked for PerDay inside the quoted id
  // took seconds on 140 KB (the most of an error body ccp reads), the event loop blocked.
  const crafted = '"quotaId":"' + "PerDay ".repeat(20_000);
  const started = threadCpuMs();
  assert.equal(geminiDayReset(crafted, Date.UTC(2026, 0, 1)), undefined);
  const ms = threadCpuMs() - started;
  assert.ok(ms < 50, `${ms} ms of CPU`);
  const later = `{"quotaId":"GenerateRequestsPerMinute"},{"quotaId":"RequestsPerDayPerProject"}`;
  assert.equal(geminiDayReset(later, Date.UTC(2026, 0, 1))?.scope, "key");
});

Deno.test("the log line and Claude Code's error say which Gemini quota was spent", () => {
  // Its message opens with boilerplate and names the quota only at its end, past the cut.
  for (
    const quotaId of [
      "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
      "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
    ]
  ) {
    const bodyText = geminiQuota429(quotaId);
    assert.match(
      upstreamMessage(bodyText),
      new RegExp(`^Quota spent: ${quotaId} \\(limit 50\\)\\. You exceeded`),
    );
    const line = describeFailure({ status: 429, bodyText });
    assert.match(
      line,
      new RegExp(`^upstream answered 429: Quota spent: ${quotaId} \\(limit 50\\)`),
    );
  }
  // Other errors read as before.
  assert.equal(
    upstreamMessage('{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}'),
    "bad",
  );
});

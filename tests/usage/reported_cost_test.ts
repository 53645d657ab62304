/**
 * What an upstream says an answer cost: read off OpenRouter's usage accounting on every path it
 * is reached by, and the request's cost at a provider whose preset declares that it reports one
 * (over the table; a price the user sets still wins), never elsewhere.
 */

import assert from "node:assert/strict";
import type { RequestRecord, Usage } from "../../src/pipeline/record.ts";
import { reportedCost } from "../../src/core/reported_cost.ts";
import { requestCost } from "../../src/usage/prices.ts";
import { unpricedTargets } from "../../src/usage/unpriced.ts";
import { openAIChatTranslation } from "../../src/translate/mod.ts";
import { ResponsesToAnthropicTranslator } from "../../src/translate/openai_responses/translator.ts";
import type { ResponsesStreamEvent } from "../../src/protocols/openai_responses.ts";
import { withStopSequences } from "../../src/translate/anthropic/stop_sequences.ts";
import { relayTranslatedStream } from "../../src/upstream/translated_frames.ts";
import type { RelayOutcome } from "../../src/upstream/relay_stream.ts";
import { noteUsageCounts } from "../../src/upstream/anthropic/stream_events.ts";
import { jsonAnswer, type UsageTotals } from "../../src/upstream/transport.ts";
import { findPreset, PRESETS } from "../../src/providers/catalog.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { BASE_OPTIONS } from "../translate/_stream_helpers.ts";
import { chatStream, chatUsage, messagesAnswer, type Spend } from "../mocks/openrouter_wire.ts";

const SPEND: Spend = { prompt: 12_000, completion: 800, cached: 4_000, cost: 0.0071 };

Deno.test("reported cost: OpenRouter's `cost`, plus the provider's charge on the user's own key", () => {
  assert.equal(reportedCost(chatUsage(SPEND)), 0.0071);
  // Its `cost_details` repeat the cost when OpenRouter's credits paid: not counted twice.
  assert.equal(reportedCost(chatUsage({ ...SPEND, cost: 0.002 })), 0.002);
  // On the user's own key, `cost` is OpenRouter's fee and the provider charged that key too.
  assert.equal(reportedCost(chatUsage({ ...SPEND, cost: 0.0004, byok: 0.008 })), 0.0084);
  assert.equal(reportedCost({ cost: 0, is_byok: true, cost_details: null }), 0);
  // A usage without a cost, or with one that is no amount, reports none.
  for (const usage of [{ prompt_tokens: 3 }, { cost: -1 }, { cost: "0.1" }, { cost: NaN }, null]) {
    assert.equal(reportedCost(usage), undefined, JSON.stringify(usage));
  }
});

const record = (provider: string, model: string, usage: Usage): RequestRecord => ({
  id: "req_1",
  startedAt: 0,
  method: "POST",
  path: "/v1/messages",
  provider,
  model,
  attempts: [],
  status: 200,
  outcome: "ok",
  usage,
  durationMs: 1,
});

Deno.test("reported cost: at a preset that reports it, over the table; a configured price wins", () => {
  const reporting = PRESETS.filter((p) => p.reportsCost).map((p) => p.id);
  assert.deepEqual(reporting, ["open_router"]);
  const config = testConfig({
    providers: [
      provider("or", { preset: "open_router" }),
      provider("orpriced", {
        preset: "open_router",
        modelSettings: { "moonshotai/kimi-k2": { price: { input: 9, output: 9 } } },
      }),
      provider("ant", { preset: "anthropic" }),
    ],
  });
  const usage = { inputTokens: 1000, outputTokens: 100, costUsd: 0.0123 };
  // An open model the table does not price at OpenRouter, a closed one it does, a set price.
  assert.equal(requestCost(config, record("or", "moonshotai/kimi-k2", usage)), 0.0123);
  assert.equal(requestCost(config, record("or", "anthropic/claude-haiku-4.5", usage)), 0.0123);
  // The user's own price is the contract's tokens x price, whatever the answer says.
  assert.equal(
    requestCost(config, record("orpriced", "moonshotai/kimi-k2", usage)),
    (1000 * 9 + 100 * 9) / 1e6,
  );
  // An answer that reported nothing is priced as before.
  const counted = { inputTokens: 1000, outputTokens: 100 };
  assert.equal(requestCost(config, record("or", "moonshotai/kimi-k2", counted)), undefined);
  assert.equal(
    requestCost(config, record("or", "anthropic/claude-haiku-4.5", counted)),
    (1000 * 1 + 100 * 5) / 1e6,
  );
  // A provider that does not declare it: a `cost` in its answer is not taken as the cost.
  assert.equal(
    requestCost(config, record("ant", "claude-haiku-4-5", usage)),
    (1000 * 1 + 100 * 5) / 1e6,
  );
  assert.equal(findPreset("anthropic")?.reportsCost, undefined);
});

/** The relay's outcome of `sse` through a Chat translation, as ccp serves a stream. */
async function relayedChat(sse: string, stopSequences: string[] = []): Promise<RelayOutcome> {
  let ended: RelayOutcome | undefined;
  const translation = withStopSequences(openAIChatTranslation(BASE_OPTIONS), stopSequences);
  const out = relayTranslatedStream(
    ReadableStream.from([new TextEncoder().encode(sse)]),
    translation,
    { describeUpstream: "OpenRouter", pingIntervalMs: 0, onEnd: (o) => (ended = o) },
  );
  await Array.fromAsync(out);
  assert.ok(ended);
  return ended;
}

Deno.test("reported cost: Chat Completions' last chunk carries it through the relay", async () => {
  const ended = await relayedChat(chatStream("moonshotai/kimi-k2", "hi", SPEND));
  assert.equal(ended.usage.costUsd, 0.0071);
  assert.equal(ended.usage.outputTokens, 800);
  // Through the stages that wrap a translation (here the stop sequences' one, none met).
  const wrapped = await relayedChat(chatStream("moonshotai/kimi-k2", "hi", SPEND), ["STOP"]);
  assert.equal(wrapped.stopReason, "end_turn");
  assert.equal(wrapped.usage.costUsd, 0.0071);
});

Deno.test("reported cost: a completed Responses answer carries it", () => {
  const t = new ResponsesToAnthropicTranslator(BASE_OPTIONS);
  const cost = () => t.reported?.costUsd;
  t.push({ type: "response.created", response: { id: "resp_1" } });
  assert.equal(cost(), undefined);
  // OpenRouter's usage accounting, beside the Responses API's counts.
  const completed = {
    type: "response.completed",
    response: {
      id: "resp_1",
      status: "completed",
      output: [],
      usage: {
        input_tokens: 100,
        output_tokens: 10,
        cost: 0.0004,
        is_byok: false,
        cost_details: { upstream_inference_cost: null },
      },
    },
  };
  t.push(completed as unknown as ResponsesStreamEvent);
  assert.equal(cost(), 0.0004);
});

Deno.test("reported cost: the Anthropic endpoint's answer, whole or as its last event", () => {
  const whole = messagesAnswer("anthropic/claude-haiku-4.5", "hi", { ...SPEND, byok: 0.03 });
  let ended: UsageTotals | undefined;
  jsonAnswer(whole, false, { onEnd: (o) => (ended = o.usage), onCancel: () => {} });
  assert.equal(ended?.costUsd, 0.0071 + 0.03);
  // A translated answer's cost comes from the upstream's own answer, beside the Message.
  jsonAnswer({ ...whole, usage: { input_tokens: 1, output_tokens: 1 } }, false, {
    onEnd: (o) => (ended = o.usage),
    onCancel: () => {},
  }, 0.5);
  assert.equal(ended?.costUsd, 0.5);
  const streamed: UsageTotals = {};
  noteUsageCounts(streamed, { output_tokens: 800, cost: 0.0071, is_byok: false });
  assert.equal(streamed.costUsd, 0.0071);
});

Deno.test("reported cost: a USD budget over OpenRouter's Chat Completions is not warned about at start", () => {
  const config = testConfig({
    providers: [
      provider("or", { preset: "open_router" }),
      provider("orc", { preset: "open_router", type: "openai" }),
      provider("tg", { preset: "together" }),
    ],
    routes: {
      default: [
        "orc/moonshotai/kimi-k2",
        "or/moonshotai/kimi-k2",
        "tg/moonshotai/Kimi-K2-Instruct",
      ],
    },
  });
  const budget = (provider: string) => ({
    provider,
    costUsd: 5,
    per: "day" as const,
    routeAwayAt: 1,
  });
  const budgeted = { ...config, budgets: [budget("orc"), budget("or"), budget("tg")] };
  // Every Chat Completions answer says its cost; a streamed one of the Anthropic endpoint does not.
  assert.deepEqual(
    unpricedTargets(budgeted).map((u) => `${u.provider}/${u.model}`),
    ["or/moonshotai/kimi-k2", "tg/moonshotai/Kimi-K2-Instruct"],
  );
});

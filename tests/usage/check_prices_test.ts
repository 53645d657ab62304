/**
 * `ccp check`'s Prices section names the targets that cost more for a long prompt (past which
 * size, since the whole request then costs the higher rates) and those whose cost is what each
 * answer reports.
 */

import assert from "node:assert/strict";
import { priceLines } from "../../src/cli/check_prices.ts";
import { provider, testConfig } from "../helpers/config.ts";

const HEAD =
  "Prices (what the status line, /ui and ccp usage show; set model_settings price to change):";

Deno.test("ccp check: tiered targets with their threshold, reported costs apart", () => {
  const c = testConfig({
    providers: [
      provider("gem", { preset: "gemini" }),
      provider("oai", { preset: "openai" }),
      provider("ant", { preset: "anthropic" }),
      provider("or", { preset: "open_router" }),
      provider("orc", { preset: "open_router", type: "openai" }),
      provider("orr", { preset: "open_router", type: "openai_responses" }),
      provider("mine", {
        modelSettings: {
          big: {
            price: { input: 1, output: 2, above: { promptTokens: 128_500, input: 2, output: 4 } },
          },
        },
      }),
    ],
    routes: {
      default: ["gem/gemini-2.5-pro", "gem/gemini-2.5-flash"],
      opus: ["oai/gpt-5.4-pro", "oai/gpt-5.2", "ant/claude-sonnet-4-5"],
      // Sonnet 4.6 has no long-context tier; OpenRouter's answers say what they cost, tier or not.
      sonnet: ["ant/claude-sonnet-4-6", "or/anthropic/claude-sonnet-4.5", "or/*"],
      haiku: ["mine/big", "or/moonshotai/kimi-k2", "orc/moonshotai/kimi-k2", "orr/*"],
    },
  });
  // Chat Completions and the Responses API say each answer's cost; OpenRouter's Anthropic
  // endpoint only an answer not streamed, so a Claude Code request there is priced by the table.
  assert.deepEqual(priceLines(c), [
    HEAD,
    "  what each answer says it cost: orc/moonshotai/kimi-k2, orr/*",
    "  what an answer not streamed says it cost (a streamed one, as Claude Code's are: the " +
    "table's price): or/anthropic/claude-sonnet-4.5, or/*, " +
    "or/moonshotai/kimi-k2 (streamed: no cost shown, no price at this host)",
    '    type: openai on provider "or" has every answer say what it cost, streamed or not',
    "  more past a prompt size (the whole request): gem/gemini-2.5-pro (past 200k tokens), " +
    "oai/gpt-5.4-pro (past 272k tokens), ant/claude-sonnet-4-5 (past 200k tokens), " +
    "mine/big (past 128500 tokens)",
  ]);
  // Flat prices only: nothing to say.
  const flat = testConfig({
    providers: [provider("oai", { preset: "openai" })],
    routes: { default: ["oai/gpt-5.2", "oai/*"] },
  });
  assert.deepEqual(priceLines(flat), []);
});

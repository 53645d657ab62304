// deno-lint-ignore-file no-console -- a benchmark reports on the console
/**
 * `deno task bench:growth`: what one request costs in-process as a Claude Code session grows
 * toward its context window. Claude Code resends the whole conversation every turn, so every
 * per-request step that walks the body is paid again on each turn: this measures each step
 * at 50 KB, 200 KB and 800 KB, and a history growing turn by turn (where caches should keep
 * the cost of a turn close to the cost of what is new in it).
 */

import { configFromYaml } from "../src/config/from_yaml.ts";
import { needsExactCount, resolveRoute } from "../src/routing/resolve.ts";
import type { MessagesRequest } from "../src/protocols/anthropic.ts";
import { parseMessagesRequest } from "../src/protocols/anthropic_request.ts";
import { countRequestTokens, loadO200k, sharedTokenCache } from "../src/tokens/mod.ts";
import { OPENAI_DIALECTS, toOpenAIChatRequest } from "../src/translate/mod.ts";
import { toGeminiRequest } from "../src/translate/gemini/request.ts";
import { toResponsesRequest } from "../src/translate/openai_responses/request.ts";
import { sessionBody, turnsFor } from "./bodies.ts";

function timeIt(run: () => unknown, minMs = 300): number {
  run();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    run();
    n++;
  }
  return ((performance.now() - start) / n) * 1000; // µs
}

await loadO200k();
// Every scenario route configured; the long_context threshold at its default (60k tokens).
const scenarioConfig = configFromYaml({
  file: "bench.yaml",
  env: {},
  text: `providers:
  p: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: k }
routes: { default: p/a, subagent: p/b, web_search: p/c, image: p/d, long_context: p/e, think: p/f }
`,
});
function route(request: MessagesRequest) {
  const input = { request };
  const count = needsExactCount(input, scenarioConfig) ? countRequestTokens(request) : undefined;
  return resolveRoute(
    count === undefined ? input : { ...input, inputTokens: count },
    scenarioConfig,
  );
}
const dialect = OPENAI_DIALECTS.openai_compatible;
const rows: Array<[string, number[]]> = [];
const sizes = [50_000, 200_000, 800_000];
const texts = sizes.map((size) => JSON.stringify(sessionBody(turnsFor(size))));
// Parsed from text as a server sees them: built bodies hold concatenated (cons) strings, which
// JSON.stringify walks several times slower (measured 6.9 vs 1.1 ms at 800 KB).
const bodies = texts.map((text) => JSON.parse(text) as MessagesRequest);
const steps: Array<[string, (text: string, body: MessagesRequest) => unknown]> = [
  ["JSON.parse of the body", (text) => JSON.parse(text)],
  ["validation", (_t, body) => parseMessagesRequest(body)],
  ["token count, warm cache", (_t, body) => countRequestTokens(body)],
  ["token count, no cache", (_t, body) => countRequestTokens(body, { cache: null })],
  [
    "→ OpenAI Chat + stringify",
    (_t, body) => JSON.stringify(toOpenAIChatRequest(body, { dialect, model: "m", provider: "p" })),
  ],
  [
    "→ Gemini + stringify",
    (_t, body) => JSON.stringify(toGeminiRequest(body, { provider: "p", model: "m" })),
  ],
  [
    "→ Responses + stringify",
    (_t, body) => JSON.stringify(toResponsesRequest(body, { provider: "p", model: "m" })),
  ],
  ["passthrough stringify", (_t, body) => JSON.stringify({ ...body, model: "m" })],
  // As the Messages handler routes: with the local count when the long_context rule needs it.
  ["scenario routing (all five)", (_t, body) => route(body)],
];
for (const [name, step] of steps) {
  rows.push([name, bodies.map((body, i) => timeIt(() => step(texts[i]!, body)))]);
}

console.log(`body sizes: ${texts.map((t) => `${(t.length / 1000).toFixed(0)} KB`).join(", ")}`);
console.log(
  `${"step".padEnd(32)}${sizes.map((s) => `${s / 1000} KB`.padStart(12)).join("")}   800/50`,
);
for (const [name, values] of rows) {
  const ratio = values[2]! / values[0]!;
  console.log(
    `${name.padEnd(32)}${
      values.map((v) => `${(v / 1000).toFixed(2)} ms`.padStart(12)).join("")
    }   ${ratio.toFixed(1)}×`,
  );
}

// A session growing turn by turn: each turn's token count, with the history already seen.
sharedTokenCache.clear();
const perTurn: number[] = [];
for (let t = 1; t <= 60; t++) {
  const body = sessionBody(t);
  const start = performance.now();
  countRequestTokens(body);
  perTurn.push((performance.now() - start) * 1000);
}
const early = perTurn.slice(5, 10).reduce((a, b) => a + b, 0) / 5;
const late = perTurn.slice(55).reduce((a, b) => a + b, 0) / 5;
console.log(
  `growing session, token count per turn: turns 6–10 ${(early / 1000).toFixed(2)} ms, ` +
    `turns 56–60 ${(late / 1000).toFixed(2)} ms (body ${
      (JSON.stringify(sessionBody(60)).length / 1000).toFixed(0)
    } KB); ` +
    `cache ${JSON.stringify(sharedTokenCache.stats)}`,
);

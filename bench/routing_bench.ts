// deno-lint-ignore-file no-console -- a benchmark reports on the console
/**
 * `deno task bench:routing`: what model resolution costs on a 600 KB Claude Code session, with
 * and without the scenario routes; with long_context configured such a body is tokenized to
 * decide, with nothing cached (a session new to ccp) and with the token cache warm (its next turns);
 * a small request is not counted (a bound of its count is within the threshold).
 */

import { configFromYaml } from "../src/config/from_yaml.ts";
import type { Config } from "../src/config/types.ts";
import type { MessagesRequest } from "../src/protocols/anthropic.ts";
import { needsExactCount, resolveRoute } from "../src/routing/resolve.ts";
import { countRequestTokens, loadO200k } from "../src/tokens/mod.ts";
import { sessionBody, turnsFor } from "./bodies.ts";

function timeIt(run: () => unknown, minMs = 400): number {
  run();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    run();
    n++;
  }
  return (performance.now() - start) / n;
}

function config(routes: string, threshold?: number) {
  return configFromYaml({
    file: "bench.yaml",
    env: {},
    text: `providers:
  p: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: k }
routes: { default: p/a${routes} }
${threshold ? `routing: { long_context_threshold: ${threshold} }\n` : ""}`,
  });
}

await loadO200k();
// The first session of at least 600 KB of JSON (turnsFor grows in coarser steps).
let turns = Math.floor(turnsFor(600_000) / 1.3);
while (JSON.stringify(sessionBody(turns)).length < 600_000) turns++;
const body = sessionBody(turns);
const size = JSON.stringify(body).length;
const tokens = countRequestTokens(body, { cache: null });
const all = ", subagent: p/b, web_search: p/c, image: p/d, long_context: p/e, think: p/f";
const plain = config("");
const scenarios = config(all);
// A title request: too small to be over, by a bound of its count, so it is not counted.
const small: MessagesRequest = {
  model: "claude-haiku-4-5",
  max_tokens: 512,
  system: "Summarize this coding conversation in under 50 characters.",
  messages: [{ role: "user", content: "Please fix the failing login test in auth_test.ts." }],
};
let counts = 0;
const countCold = (r: object) => (counts++, countRequestTokens(r, { cache: null }));
const countWarm = (r: object) => (counts++, countRequestTokens(r));

// What the Messages handler does: count only when resolution says it must (a body not certainly
// within the long_context threshold).
function decide(request: MessagesRequest, cfg: Config, count: (r: object) => number) {
  const input = { request };
  return resolveRoute(
    needsExactCount(input, cfg) ? { ...input, inputTokens: count(request) } : input,
    cfg,
  );
}

const rows: Array<[string, number]> = [
  ["no scenario routes", timeIt(() => decide(body, plain, countCold))],
  ["all five, threshold 60k (no token cache)", timeIt(() => decide(body, scenarios, countCold))],
  ["all five, threshold 60k (warm token cache)", timeIt(() => decide(body, scenarios, countWarm))],
  [
    `all five, a ${JSON.stringify(small).length} B title request`,
    timeIt(() => decide(small, scenarios, countCold)),
  ],
];
counts = 0;
const decided = decide(body, scenarios, countCold).route;
const countedAtDefault = counts;
counts = 0;
decide(small, scenarios, countCold);
const countedSmall = counts;

console.log(`body: ${(size / 1000).toFixed(0)} KB, ${tokens} input tokens (local count)`);
for (const [name, ms] of rows) console.log(`${name.padEnd(56)}${ms.toFixed(3).padStart(9)} ms`);
console.log(
  `at the default threshold: x-ccp-route ${decided}, counts made: ${countedAtDefault}; ` +
    `the title request: ${countedSmall}`,
);

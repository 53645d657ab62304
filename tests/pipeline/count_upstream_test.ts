/** Asking an Anthropic endpoint for a count: an answer that is no count is told for what it is. */

import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import { countUpstream } from "../../src/pipeline/count_upstream.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { provider } from "../resilience/helpers.ts";

Deno.test("a count_tokens answer past 64 KiB is counted locally, and the log says why in words that fit", async () => {
  const lines: string[] = [];
  const log = createLogger({ level: "debug", write: (line) => void lines.push(line) });
  // A gateway that answers every path with a page of its own: no count, and far too long.
  const page = JSON.stringify({ input_tokens: 12, padding: "x".repeat(80_000) });
  const fetched: string[] = [];
  const got = await countUpstream({
    target: { provider: provider("gw", { type: "anthropic" }), model: "m" },
    body: { model: "m", messages: [{ role: "user", content: "hi" }] },
    headers: new Headers(),
    signal: new AbortController().signal,
    fetch: (input) => {
      fetched.push(String(input instanceof Request ? input.url : input));
      return Promise.resolve(
        new Response(page, { headers: { "content-type": "application/json" } }),
      );
    },
    registry: new ResilienceRegistry({}),
    log,
  });
  assert.equal(got, undefined, "an answer past the cap is no count");
  assert.ok(fetched[0]?.endsWith("/messages/count_tokens"), fetched[0]);
  const line = lines.find((l) => l.includes("count_tokens upstream failed")) ?? "";
  assert.match(
    line,
    /The count_tokens endpoint of gw\/m sent an answer larger than 64 KiB; ccp stopped reading it \(a count is a few bytes, so this is none: ccp counts locally\)/,
  );
  assert.ok(!line.includes("max_response_size"), "that setting does not bound a count");
});

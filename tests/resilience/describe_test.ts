/**
 * A failure's words: the upstream's own text is capped where it is quoted, ccp's advice after it
 * never is, and the whole stays bounded however long what it quotes.
 */

import assert from "node:assert/strict";
import { UpstreamError } from "../../src/core/errors.ts";
import { MAX_MESSAGE, MAX_SNIPPET } from "../../src/core/upstream_message.ts";
import { describeFailure } from "../../src/resilience/describe.ts";
import { upstreamHttpError } from "../../src/upstream/errors.ts";

const KEY = "nvapi-abcdefghijklmnopqrstuvwxyz0123456789";

Deno.test("describeFailure: a transport's message keeps its advice after a long upstream body", () => {
  const error = upstreamHttpError({
    provider: "nim",
    model: "m",
    status: 404,
    headers: new Headers(),
    bodyText: JSON.stringify({ error: { message: `no such route ${"x".repeat(5000)}` } }),
    keys: [],
    advice: "nothing answers POST http://h/v1/chat/completions: check NVIDIA_NIM_BASE_URL",
  });
  const line = describeFailure({ status: 404, error });
  assert.ok(
    line.endsWith("(nothing answers POST http://h/v1/chat/completions: check NVIDIA_NIM_BASE_URL)"),
    line,
  );
  const quoted = line.slice(line.indexOf("no such route"), line.indexOf("\u2026"));
  assert.equal(quoted.length, MAX_SNIPPET);
});

Deno.test("describeFailure: an upstream's own words alone are capped, after their keys are scrubbed", () => {
  const bodyText = JSON.stringify({ error: { message: `bad key ${KEY} ${"y".repeat(2000)}` } });
  const line = describeFailure({ status: 400, bodyText }, [KEY]);
  assert.ok(!line.includes(KEY.slice(0, 12)), line);
  assert.equal(line.length, "upstream answered 400: ".length + MAX_SNIPPET + 1);
});

Deno.test("describeFailure: a message of ccp's quoting something unbounded loses its middle, not its end", () => {
  const error = new UpstreamError(
    "api_error",
    `Cannot reach it: ${"z".repeat(10_000)}. Start it.`,
    { status: 502 },
  );
  const line = describeFailure({ error });
  assert.ok(line.length <= MAX_MESSAGE, `${line.length}`);
  assert.ok(line.startsWith("Cannot reach it: zzz"), line);
  assert.ok(line.endsWith("zz. Start it."), line);
});

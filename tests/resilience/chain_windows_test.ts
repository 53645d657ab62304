import assert from "node:assert/strict";
import { ChainWindows, SURELY_OVER } from "../../src/resilience/chain_windows.ts";
import type { DispatchTarget } from "../../src/resilience/dispatcher.ts";
import { upstreamHttpError } from "../../src/upstream/errors.ts";
import { provider } from "./helpers.ts";

/** A chain of targets named by id, with their declared windows (undefined: none declared). */
function chain(windows: Record<string, number | undefined>) {
  const targets = Object.keys(windows).map((id): DispatchTarget => ({
    provider: provider(id),
    model: "m",
  }));
  const windowOf = (t: DispatchTarget) => windows[t.provider.id];
  return { targets, windowOf };
}

/** The ids of the targets passed before anything was sent, for a prompt of `tokens`. */
function passedBefore(windows: Record<string, number | undefined>, tokens: number): string[] {
  const { targets, windowOf } = chain(windows);
  const plan = new ChainWindows(targets, windowOf, tokens);
  return targets.filter((t) => plan.pass(t) !== undefined).map((t) => t.provider.id);
}

Deno.test("chain windows: only a count surely over a window passes it, and only for a later one", () => {
  // Within the count's error (up to 2.1 times the window), the target is sent the request.
  assert.deepEqual(passedBefore({ small: 32_000, large: 1_000_000 }, 67_000), []);
  assert.deepEqual(passedBefore({ small: 32_000, large: 1_000_000 }, 68_000), ["small"]);
  assert.equal(SURELY_OVER * 32_000, 67_200);
  // A later target that declares no window may hold it.
  assert.deepEqual(passedBefore({ small: 32_000, hosted: undefined }, 500_000), ["small"]);
  // A small target after the one that holds it is left in place (it is a failover for failures).
  assert.deepEqual(passedBefore({ large: 1_000_000, small: 32_000 }, 100_000), []);
  // A prompt that fits everywhere passes nothing.
  assert.deepEqual(passedBefore({ small: 32_000, large: 1_000_000 }, 1_000), []);
});

Deno.test("chain windows: when no window holds the count, only the largest is sent it", () => {
  assert.deepEqual(
    passedBefore({ a: 32_000, b: 128_000, c: 64_000, d: 128_000 }, 1_000_000),
    ["a", "c", "d"],
  );
});

Deno.test("chain windows: without a count nothing is passed before a refusal", () => {
  const { targets, windowOf } = chain({ small: 32_000, large: 1_000_000 });
  const plan = new ChainWindows(targets, windowOf);
  assert.equal(plan.pass(targets[0]!), undefined);
  assert.deepEqual(plan.passed, []);
});

Deno.test("chain windows: a refusal as too long passes the windows no larger, by the stated limit", () => {
  const { targets, windowOf } = chain({ a: undefined, b: 16_000, c: 24_000, d: undefined });
  const plan = new ChainWindows(targets, windowOf);
  const bodyText = JSON.stringify({
    error: { message: "request (30000 tokens) exceeds the available context size (20000 tokens)" },
  });
  const error = upstreamHttpError({
    provider: "a",
    model: "m",
    status: 400,
    headers: new Headers(),
    bodyText,
    keys: [],
  });
  plan.ended(targets[0]!, {
    kind: "failed",
    target: { provider: "a", model: "m" },
    failure: { status: 400, bodyText, error },
    verdict: { action: "next_target", cause: "target" },
    detail: error.message,
  });
  assert.match(plan.pass(targets[1]!) ?? "", /no larger than 20000, which refused the prompt/);
  assert.equal(plan.pass(targets[2]!), undefined, "24k may hold what 20k could not");
  assert.equal(plan.pass(targets[3]!), undefined, "a window not declared may hold it");
  assert.deepEqual(plan.passed, [
    "a/m (refused as too long)",
    "b/m (not sent: window 16000, a window of 20000 refused)",
  ]);
});

Deno.test("chain windows: a target that cuts the prompt (Ollama) is never sent one surely over its window", () => {
  const { targets, windowOf } = chain({ refuses: 4_096, cuts: 8_192, hosted: undefined });
  const [refuses, cuts, hosted] = targets as [DispatchTarget, DispatchTarget, DispatchTarget];
  const local = { cuts: (t: DispatchTarget) => t === cuts, learn: () => false, fit: () => {} };
  const ids = (plan: ChainWindows) =>
    targets.filter((t) => plan.pass(t) !== undefined).map((t) => t.provider.id);
  // A failover after the one that may hold it is passed too: it would cut, not refuse.
  const after = [hosted, cuts];
  const withHosted = new ChainWindows(after, windowOf, 100_000, local);
  assert.equal(withHosted.pass(cuts) !== undefined, true);
  assert.equal(withHosted.pass(hosted), undefined);
  // None may hold it: the largest window that refuses is sent it (for its own count), not one
  // that cuts, however large.
  const mixed = new ChainWindows([refuses, cuts], windowOf, 100_000, local);
  assert.deepEqual(ids(mixed), ["cuts"]);
  assert.equal(mixed.unsendable, undefined);
  // Only targets that cut: none is sent it, and the largest is named for the refusal.
  const only = new ChainWindows([cuts], windowOf, 100_000, local);
  assert.deepEqual(only.unsendable, { target: cuts, window: 8_192, promptTokens: 100_000 });
  // Within the margin it is sent.
  assert.equal(new ChainWindows([cuts], windowOf, 17_000, local).unsendable, undefined);
});

Deno.test("chain windows: a local server's stated limit is learned, a max_tokens refusal's too", () => {
  const { targets, windowOf } = chain({ vllm: undefined });
  const learned: number[] = [];
  const fitted: number[] = [];
  const plan = new ChainWindows(targets, windowOf, undefined, {
    cuts: () => false,
    learn: (_t, limit) => {
      learned.push(limit);
      return true;
    },
    fit: (_t, output) => fitted.push(output),
  });
  const failure = (message: string, status = 400) => ({
    status,
    error: Object.assign(new Error(message), { status }),
  });
  const output = failure(
    "input length and `max_tokens` exceed context limit: 20001 + 128000 > 32768, decrease input length or `max_tokens` and try again",
  );
  // The max_tokens refusal is sent again fitted into the room the server's count leaves, once; a
  // prompt over the window is not.
  assert.equal(plan.refused(targets[0]!, output), true);
  assert.deepEqual(fitted, [32_768 - 20_001]);
  assert.equal(plan.refused(targets[0]!, output), false);
  assert.equal(
    plan.refused(targets[0]!, failure("prompt is too long: 40000 tokens > 32768 maximum")),
    false,
  );
  plan.refused(targets[0]!, failure("prompt is too long: 40000 tokens > 1 maximum", 500));
  plan.refused(targets[0]!, failure("some other 400"));
  assert.deepEqual(learned, [32_768, 32_768, 32_768]);
  assert.deepEqual(fitted, [32_768 - 20_001]);
});

Deno.test("chain windows: a max_tokens refusal leaving under 1024 tokens of room is not sent again", () => {
  const { targets, windowOf } = chain({ vllm: undefined });
  const fitted: number[] = [];
  const plan = new ChainWindows(targets, windowOf, undefined, {
    cuts: () => false,
    learn: () => true,
    fit: (_t, output) => fitted.push(output),
  });
  const message = (prompt: number) =>
    `input length and \`max_tokens\` exceed context limit: ${prompt} + 32000 > 32768, decrease input length or \`max_tokens\` and try again`;
  const failure = (prompt: number) => ({
    status: 400,
    error: Object.assign(new Error(message(prompt)), { status: 400 }),
  });
  assert.equal(plan.refused(targets[0]!, failure(32_768 - 1_023)), false);
  assert.deepEqual(fitted, []);
  assert.equal(plan.refused(targets[0]!, failure(32_768 - 1_024)), true);
  assert.deepEqual(fitted, [1_024]);
});

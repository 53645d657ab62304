import assert from "node:assert/strict";
import { UpstreamError } from "../../src/core/errors.ts";
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
  const local = {
    local: () => true,
    cuts: (t: DispatchTarget) => t === cuts,
    learn: () => {},
    refit: () => {},
  };
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
  const refits: number[] = [];
  const plan = new ChainWindows(targets, windowOf, undefined, {
    local: () => true,
    cuts: () => false,
    learn: (_t, limit) => void learned.push(limit),
    refit: (_t, max) => void refits.push(max),
  });
  const output = outputOver(20_001, 128_000, 32_768);
  // The max_tokens refusal is sent again fitted beside the server's count, once; a prompt over
  // the window is not.
  assert.equal(plan.refused(targets[0]!, output), "resent");
  assert.equal(plan.refused(targets[0]!, output), output);
  const tooLong = failure("prompt is too long: 40000 tokens > 32768 maximum");
  assert.equal(plan.refused(targets[0]!, tooLong), tooLong);
  plan.refused(targets[0]!, failure("prompt is too long: 40000 tokens > 1 maximum", 500));
  plan.refused(targets[0]!, failure("some other 400"));
  assert.deepEqual(learned, [32_768, 32_768, 32_768]);
  assert.deepEqual(refits, [32_768 - 20_001 - 64]);
});

Deno.test("chain windows: a max_tokens refusal is sent again by the server's own count of the prompt, when it leaves room", () => {
  const { targets, windowOf } = chain({ vllm: undefined });
  const refits: number[] = [];
  const local = {
    local: () => true,
    cuts: () => false,
    learn: () => {},
    refit: (_t: unknown, max: number) => void refits.push(max),
  };
  const refused = (message: ReturnType<typeof failure>) =>
    new ChainWindows(targets, windowOf, undefined, local).refused(targets[0]!, message);
  // vLLM at --max-model-len 16384 counts 12024 tokens where ccp's estimate fills the window: the
  // room its count leaves is what the request is sent again with (a window learned before too).
  assert.equal(refused(outputOver(12_024, 128_000, 16_384)), "resent");
  assert.deepEqual(refits, [16_384 - 12_024 - 64]);
  // No less than was asked: Claude Code gets the refusal as it came (it asks for fewer tokens).
  const asked = outputOver(1_000, 4_000, 16_384);
  assert.equal(refused(asked), asked);
  // Too little room for a useful answer: the prompt is too long for the window, and the refusal
  // says so in Anthropic's words (Claude Code compacts; a chain moves on).
  const roomless = refused(outputOver(15_500, 32_000, 16_384));
  assert.notEqual(roomless, "resent");
  const error: unknown = (roomless as { error: unknown }).error;
  assert.ok(error instanceof UpstreamError);
  assert.equal(error.status, 400);
  assert.equal(error.errorType, "invalid_request_error");
  assert.equal(
    error.message,
    "prompt is too long: 15500 tokens > 15296 maximum (its window of 16384 tokens leaves 884 " +
      "beside the prompt, too few for an answer)",
  );
  // A window too small for the least answer beside any prompt holds none.
  const tiny = refused(outputOver(171, 128_000, 771)) as { error: Error };
  assert.match(
    tiny.error.message,
    /^prompt is too long: 171 tokens > 0 maximum \(its window of 771/,
  );
  // The room that still holds the least answer ccp sends is not too little.
  const roomy = outputOver(16_384 - 64 - 1_024, 32_000, 16_384);
  assert.equal(refused(roomy), "resent");
  assert.deepEqual(refits, [16_384 - 12_024 - 64, 1_024]);
});

Deno.test("chain windows: a hosted target's refusal of max_tokens in a chain with a local one is neither sent again nor made a prompt too long", () => {
  const { targets, windowOf } = chain({ vllm: undefined, hosted: undefined });
  const [vllm, hosted] = targets as [DispatchTarget, DispatchTarget];
  const learned: number[] = [];
  const refits: number[] = [];
  const plan = new ChainWindows(targets, windowOf, undefined, {
    local: (t) => t === vllm,
    cuts: () => false,
    learn: (_t, limit) => void learned.push(limit),
    refit: (_t, max) => void refits.push(max),
  });
  // Room for an answer, and none: the hosted target's refusal goes on as it came either way.
  const roomy = outputOver(150_000, 64_000, 200_000);
  assert.equal(plan.refused(hosted, roomy), roomy);
  const roomless = outputOver(199_500, 32_000, 200_000);
  assert.equal(plan.refused(hosted, roomless), roomless);
  assert.deepEqual(learned, []);
  assert.deepEqual(refits, []);
  // The local target's is still sent again fitted.
  assert.equal(plan.refused(vllm, outputOver(20_001, 128_000, 32_768)), "resent");
  assert.deepEqual(refits, [32_768 - 20_001 - 64]);
});

function failure(message: string, status = 400) {
  return { status, error: Object.assign(new Error(message), { status }) };
}

/** ccp's words for a local server's refusal of `prompt` + `output` over its `limit`. */
function outputOver(prompt: number, output: number, limit: number) {
  return failure(
    `input length and \`max_tokens\` exceed context limit: ${prompt} + ${output} > ${limit}, decrease input length or \`max_tokens\` and try again`,
  );
}
